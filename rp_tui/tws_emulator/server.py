"""The emulator: a loopback TWS API server with scriptable scenario data and faults."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import messages as msg
from .orders import ExecutionRecord, OrderBook, OrderRecord
from .protocol import (
    ERROR_TEXT,
    SERVER_VERSION,
    FieldReader,
    In,
    frame,
    read_handshake,
    read_payload,
    split_fields,
)
from .requests import (
    ContractQuery,
    ExecutionFilterRequest,
    HistoricalRequest,
    MarketDataRequest,
    PlacedOrder,
    parse_place_order,
)
from .scenario import Bar, Instrument, Scenario

log = logging.getLogger(__name__)

#: Position of the request id in requests that carry one, for errors on demand.
_REQ_ID_INDEX = {
    In.REQ_MKT_DATA: 2,
    In.PLACE_ORDER: 1,
    In.REQ_EXECUTIONS: 2,
    In.REQ_CONTRACT_DATA: 2,
    In.REQ_HISTORICAL_DATA: 1,
    In.REQ_ACCOUNT_SUMMARY: 2,
    In.REQ_ACCOUNT_UPDATES_MULTI: 2,
}

_DURATION_DAYS = {"S": 1 / 86_400, "D": 1, "W": 7, "M": 31, "Y": 366}
_FARM_STATUS = (2104, 2106, 2158)
_LEDGER_KEYS = frozenset(
    {"CashBalance", "TotalCashBalance", "ExchangeRate", "NetLiquidationByCurrency"}
)


@dataclass
class Faults:
    """Faults that apply to the next messages; the counters are one-shot countdowns.

    ``drop_after_server_messages``: close the connection right after the server has sent
    this many more messages (any connection). ``drop_after_client_messages``: close it on
    receipt of the N-th client message; that message is still acted on (an order is still
    placed and filled), the client just never hears back: an unknown outcome.
    ``reply_delay``: seconds to wait before handling each client request (a slow TWS).
    """

    reply_delay: float = 0.0
    drop_after_server_messages: int | None = None
    drop_after_client_messages: int | None = None


class Session:
    """One client connection: handshake, request dispatch, per-connection state."""

    def __init__(
        self, emu: TwsEmulator, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ):
        self.emu = emu
        self._reader = reader
        self._writer = writer
        self.client_id: int | None = None
        self.received: Counter[int] = Counter()
        self.sent: Counter[int] = Counter()
        self.market_data_type = 1
        self.positions_subscribed = False
        self.account_updates: str | None = None
        self.account_multi: dict[int, str] = {}
        self.closed = False
        self._dispatch = self._handlers()

    # --- I/O ------------------------------------------------------------------------

    def send(self, fields: msg.Message) -> None:
        """Send one message; a no-op once the connection is closed (the broker goes on)."""
        if self.closed:
            return
        self._writer.write(frame(fields))
        self.sent[int(fields[0])] += 1
        log.debug("client %s <<< %s", self.client_id, fields)
        faults = self.emu.faults
        if faults.drop_after_server_messages is not None:
            faults.drop_after_server_messages -= 1
            if faults.drop_after_server_messages <= 0:
                faults.drop_after_server_messages = None
                log.info("fault: dropping client %s after server message", self.client_id)
                self.close()

    def close(self) -> None:
        """Close the socket (buffered messages are still flushed)."""
        if not self.closed:
            self.closed = True
            self._writer.close()

    async def run(self) -> None:
        """Serve the connection until the client or the emulator closes it."""
        try:
            await self._handshake()
            while not self.closed:
                fields = split_fields(await read_payload(self._reader))
                if fields:
                    await self._receive(fields)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            log.debug("client %s gone: %r", self.client_id, exc)
        except Exception as exc:  # a bug in the emulator: keep it visible to tests
            log.exception("session of client %s failed", self.client_id)
            self.emu.handler_errors.append(exc)
        finally:
            self.close()

    async def _handshake(self) -> None:
        low, high = await read_handshake(self._reader)
        if not low <= SERVER_VERSION <= high:
            raise ConnectionError(f"client speaks v{low}..{high}, emulator only v{SERVER_VERSION}")
        # the one frame without a message id: server version and connection time
        self._writer.write(frame([SERVER_VERSION, time.strftime("%Y%m%d %H:%M:%S UTC")]))
        fields = split_fields(await read_payload(self._reader))
        if not fields or int(fields[0]) != In.START_API:
            raise ConnectionError(f"expected START_API, got {fields[:1]}")
        self._count_client_message(fields)
        if self.closed:  # dropped by a fault on START_API itself
            return
        client_id = int(fields[2])
        if any(s.client_id == client_id and not s.closed for s in self.emu.sessions):
            self.send(msg.error(-1, 326, ERROR_TEXT[326]))
            raise ConnectionError(f"client id {client_id} already in use")
        self.client_id = client_id
        self.emu.sessions.append(self)
        self.send(msg.managed_accounts(self.emu.scenario.account_ids))
        self.send(msg.next_valid_id(self.emu.next_valid_id()))
        for code in _FARM_STATUS:
            self.send(msg.error(-1, code, ERROR_TEXT[code]))

    def _count_client_message(self, fields: list[str]) -> None:
        self.emu.record(self, fields)
        faults = self.emu.faults
        if faults.drop_after_client_messages is not None:
            faults.drop_after_client_messages -= 1
            if faults.drop_after_client_messages <= 0:
                faults.drop_after_client_messages = None
                log.info("fault: dropping client %s on receipt of %s", self.client_id, fields)
                self.close()

    async def _receive(self, fields: list[str]) -> None:
        self._count_client_message(fields)
        if self.emu.faults.reply_delay:
            await asyncio.sleep(self.emu.faults.reply_delay)
        msg_id = int(fields[0])
        planned = self.emu.planned_error(msg_id)
        if planned is not None:
            index = _REQ_ID_INDEX.get(msg_id)
            req_id = int(fields[index]) if index is not None and index < len(fields) else -1
            self.send(msg.error(req_id, *planned))
            return
        handler = self._dispatch.get(msg_id)
        if handler is None:
            log.debug("client %s: ignoring message %s", self.client_id, fields)
            return
        try:
            handler(fields)
        except Exception as exc:  # keep serving; tests check emu.handler_errors
            log.exception("handler for %s failed", fields)
            self.emu.handler_errors.append(exc)

    def _handlers(self) -> dict[int, Callable[[list[str]], None]]:
        return {
            In.REQ_MKT_DATA: self._req_mkt_data,
            In.PLACE_ORDER: self._place_order,
            In.CANCEL_ORDER: self._cancel_order,
            In.REQ_OPEN_ORDERS: lambda _f: self._open_orders(all_clients=self.client_id == 0),
            In.REQ_ALL_OPEN_ORDERS: lambda _f: self._open_orders(all_clients=True),
            In.REQ_ACCT_DATA: self._req_account_updates,
            In.REQ_EXECUTIONS: self._req_executions,
            In.REQ_IDS: lambda _f: self.send(msg.next_valid_id(self.emu.next_valid_id())),
            In.REQ_CONTRACT_DATA: self._req_contract_details,
            In.REQ_MANAGED_ACCTS: lambda _f: self.send(
                msg.managed_accounts(self.emu.scenario.account_ids)
            ),
            In.REQ_HISTORICAL_DATA: self._req_historical_data,
            In.REQ_CURRENT_TIME: lambda _f: self.send(msg.current_time(int(time.time()))),
            In.REQ_GLOBAL_CANCEL: self._global_cancel,
            In.REQ_MARKET_DATA_TYPE: self._req_market_data_type,
            In.REQ_POSITIONS: self._req_positions,
            In.CANCEL_POSITIONS: lambda _f: setattr(self, "positions_subscribed", False),
            In.REQ_ACCOUNT_SUMMARY: self._req_account_summary,
            In.REQ_POSITIONS_MULTI: lambda f: self.send([72, 1, int(f[2])]),
            In.REQ_ACCOUNT_UPDATES_MULTI: self._req_account_updates_multi,
            In.CANCEL_ACCOUNT_UPDATES_MULTI: lambda f: self.account_multi.pop(int(f[2]), None),
            In.REQ_COMPLETED_ORDERS: self._req_completed_orders,
        }

    # --- contracts and market data --------------------------------------------------

    def _instruments(self, q: ContractQuery) -> list[Instrument]:
        scenario = self.emu.scenario
        return scenario.find_instruments(
            q.con_id, q.symbol, q.sec_type, q.exchange, q.primary_exchange, q.currency
        )

    def _req_contract_details(self, fields: list[str]) -> None:
        req_id = int(fields[2])
        query = ContractQuery.read(FieldReader(fields, start=3))
        found = self._instruments(query)
        if not found:
            self.send(msg.error(req_id, 200, ERROR_TEXT[200]))
            return
        for instrument in found:
            self.send(msg.contract_data(req_id, instrument, query.exchange or instrument.exchange))
        self.send(msg.contract_data_end(req_id))

    def _req_market_data_type(self, fields: list[str]) -> None:
        self.market_data_type = int(fields[2])

    def _req_mkt_data(self, fields: list[str]) -> None:
        req = MarketDataRequest.parse(fields)
        found = self._instruments(req.contract)
        if len(found) != 1:
            self.send(msg.error(req.req_id, 200, ERROR_TEXT[200]))
            return
        self._serve_quote(req.req_id, found[0].symbol)
        if req.snapshot:
            self.send(msg.tick_snapshot_end(req.req_id))

    def _serve_quote(self, req_id: int, symbol: str) -> None:
        quote = self.emu.scenario.quotes.get(symbol)
        if quote is None:
            return  # no ticks at all, like an illiquid contract
        frozen = self.market_data_type in (2, 4)
        if quote.live:
            served = 2 if frozen else 1
        else:
            if self.market_data_type in (1, 2):
                code = quote.not_subscribed_code
                self.send(msg.error(req_id, code, ERROR_TEXT.get(code, ERROR_TEXT[354])))
                if code != 10167:  # 10167 is a warning: delayed data follows
                    return
            if not quote.delayed:
                self.send(msg.error(req_id, 10168, ERROR_TEXT[10168]))
                return
            served = 4 if frozen else 3
        self.send(msg.market_data_type(req_id, served))
        delayed = served >= 3
        ticks = (
            (66 if delayed else 1, quote.bid, quote.bid_size),
            (67 if delayed else 2, quote.ask, quote.ask_size),
            (68 if delayed else 4, quote.last, quote.last_size),
            (75 if delayed else 9, quote.close, 0),
        )
        for tick_type, price, size in ticks:
            if price is not None:
                self.send(msg.tick_price(req_id, tick_type, price, size))

    def _req_historical_data(self, fields: list[str]) -> None:
        req = HistoricalRequest.parse(fields)
        found = self._instruments(req.contract)
        if len(found) != 1:
            self.send(msg.error(req.req_id, 200, ERROR_TEXT[200]))
            return
        bars = _select_bars(self.emu.scenario.bars.get(found[0].symbol, []), req)
        if not bars:
            text = "Historical Market Data Service error message:HMDS query returned no data"
            self.send(msg.error(req.req_id, 162, text))
            return
        self.send(msg.historical_data(req.req_id, bars, bars[0].date, bars[-1].date))

    # --- account and positions ------------------------------------------------------

    def _req_positions(self, _fields: list[str]) -> None:
        self.positions_subscribed = True
        for account in self.emu.scenario.account_ids:
            for position in self.emu.scenario.positions_of(account):
                self.send_position(account, position.symbol)
        self.send(msg.position_end())

    def send_position(self, account: str, symbol: str) -> None:
        """POSITION_DATA for one holding."""
        scenario = self.emu.scenario
        instrument = scenario.instrument(symbol)
        for p in scenario.positions_of(account):
            if p.symbol == symbol and instrument is not None:
                self.send(msg.position_data(account, instrument, p.quantity, p.avg_cost))

    def _send_portfolio(self, account: str, symbol: str | None = None) -> None:
        scenario = self.emu.scenario
        for position in scenario.positions_of(account):
            instrument = scenario.instrument(position.symbol)
            if instrument is None or symbol not in (None, position.symbol):
                continue
            self.send(
                msg.portfolio_value(
                    account,
                    instrument,
                    position.quantity,
                    scenario.market_price(position),
                    position.avg_cost,
                    position.realized_pnl,
                )
            )

    def _req_account_updates(self, fields: list[str]) -> None:
        subscribe, account = fields[2] == "1", fields[3] or self.emu.scenario.account_ids[0]
        if not subscribe:
            self.account_updates = None
            return
        self.account_updates = account
        self.push_account_updates(account)
        self.send(msg.acct_download_end(account))

    def push_account_updates(self, account: str, symbol: str | None = None) -> None:
        """ACCT_VALUE rows, PORTFOLIO_VALUE (all, or one symbol) and ACCT_UPDATE_TIME."""
        if account not in self.emu.scenario.account_ids:
            return
        for key, value, currency in self.emu.scenario.account_values(account):
            self.send(msg.acct_value(key, value, currency, account))
        self._send_portfolio(account, symbol)
        self.send(msg.acct_update_time(time.strftime("%H:%M")))

    def _req_account_updates_multi(self, fields: list[str]) -> None:
        req_id, account = int(fields[2]), fields[3]
        self.account_multi[req_id] = account
        self.push_account_multi(req_id, account)
        self.send(msg.account_update_multi_end(req_id))

    def push_account_multi(self, req_id: int, account: str) -> None:
        """ACCOUNT_UPDATE_MULTI rows of one account."""
        if account not in self.emu.scenario.account_ids:
            return
        for key, value, currency in self.emu.scenario.account_values(account):
            self.send(msg.account_update_multi(req_id, account, key, value, currency))

    def _req_account_summary(self, fields: list[str]) -> None:
        req_id, tags = int(fields[2]), set(fields[4].split(","))
        ledger_all = "$LEDGER:ALL" in tags
        scenario = self.emu.scenario
        for account in scenario.accounts:
            for key, value, currency in scenario.account_values(account.account_id):
                is_ledger = key in _LEDGER_KEYS
                wanted = (
                    is_ledger and (ledger_all or ("$LEDGER" in tags and currency == "BASE"))
                ) or (not is_ledger and key in tags)
                if wanted:
                    self.send(msg.account_summary(req_id, account.account_id, key, value, currency))
        self.send(msg.account_summary_end(req_id))

    # --- orders ---------------------------------------------------------------------

    def _place_order(self, fields: list[str]) -> None:
        placed = parse_place_order(fields, self.client_id or 0)
        self.emu.placed_orders.append(placed)
        found = self._instruments(placed.contract)
        if len(found) != 1:
            self.send(msg.error(placed.order_id, 200, ERROR_TEXT[200]))
            return
        book = self.emu.book
        if placed.what_if:
            book.what_if(placed, found[0], self.send)
        else:
            book.place(placed, found[0], self.send)

    def _cancel_order(self, fields: list[str]) -> None:
        self.emu.book.cancel(self.client_id or 0, int(fields[2]), self.send)

    def _global_cancel(self, _fields: list[str]) -> None:
        for record in self.emu.book.open_orders():
            self.emu.book.cancel(record.placed.client_id, record.placed.order_id, self.send)

    def _open_orders(self, all_clients: bool) -> None:
        book = self.emu.book
        for record in book.open_orders(None if all_clients else self.client_id):
            self.send(book.open_order_message(record))
            self.send(book.order_status_message(record))
        self.send(msg.open_order_end())

    def _req_completed_orders(self, _fields: list[str]) -> None:
        book = self.emu.book
        for record in book.completed_orders():
            self.send(book.completed_order_message(record))
        self.send(msg.completed_orders_end())

    def _req_executions(self, fields: list[str]) -> None:
        query = ExecutionFilterRequest.parse(fields)
        book = self.emu.book
        for execution in book.find_executions(query):
            self.send(book.execution_message(execution, query.req_id))
            self.send(book.commission_message(execution))
        self.send(msg.execution_data_end(query.req_id))


def _select_bars(bars: list[Bar], req: HistoricalRequest) -> list[Bar]:
    """Bars up to the request's end date and within its duration ("N S|D|W|M|Y")."""
    end = req.end[:8] if req.end[:8].isdigit() else None
    kept = [b for b in bars if end is None or b.date[:8] <= end]
    try:
        count, unit = req.duration.split()
        days = max(1, int(int(count) * _DURATION_DAYS[unit.upper()[0]]))
    except (ValueError, KeyError):
        return kept
    if not kept:
        return kept
    last = dt.datetime.strptime(kept[-1].date[:8], "%Y%m%d").date()
    first = (last - dt.timedelta(days=days)).strftime("%Y%m%d")
    return [b for b in kept if b.date[:8] > first]


class TwsEmulator:
    """A TWS API server (version 176) on 127.0.0.1 for the real ib_async client.

    ``scenario`` holds the account data and order behaviour, ``faults`` the connection
    faults; both may be changed while clients are connected. Everything the clients send
    is recorded in ``received`` (``(msg_id, fields)``) and ``placed_orders``.
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Faults | None = None,
    ):
        self.scenario = scenario or Scenario()
        self.faults = faults or Faults()
        self.host = host
        self._requested_port = port
        self.port = port
        self.book = OrderBook(self.scenario, on_fill=self._publish_fill)
        self.received: list[tuple[int, list[str]]] = []
        self.placed_orders: list[PlacedOrder] = []
        self.sessions: list[Session] = []
        self.handler_errors: list[Exception] = []
        #: After ``restart(next_valid_id=…)``: sent as is, even below used order ids.
        self.forced_next_valid_id: int | None = None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._planned_errors: dict[int, deque[tuple[int, str]]] = {}
        self._received_event = asyncio.Event()

    # --- lifecycle ------------------------------------------------------------------

    async def start(self) -> TwsEmulator:
        """Listen on ``host``/``port`` (port 0 picks a free one, see ``.port``)."""
        self._server = await asyncio.start_server(self._on_connect, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("TWS emulator (server version %s) on %s:%s", SERVER_VERSION, self.host, self.port)
        return self

    async def stop(self) -> None:
        """Close every connection and stop listening."""
        if self._server is not None:
            self._server.close()
        self.drop_connections()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> TwsEmulator:
        return await self.start()

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def restart(self, next_valid_id: int | None = None, downtime: float = 0.0) -> None:
        """Simulate a TWS restart on the same port; orders and executions survive.

        ``next_valid_id`` makes later connections start at that id even if it was used
        already (the "lower nextValidId" fault; reusing a done order id gets error 103).
        """
        await self.stop()
        if next_valid_id is not None:
            self.forced_next_valid_id = next_valid_id
        if downtime:
            await asyncio.sleep(downtime)
        await self.start()

    def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.ensure_future(Session(self, reader, writer).run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- inspection -----------------------------------------------------------------

    def record(self, session: Session, fields: list[str]) -> None:
        """Keep a client message for inspection by tests."""
        msg_id = int(fields[0])
        session.received[msg_id] += 1
        self.received.append((msg_id, fields))
        log.debug("client %s >>> %s", session.client_id, fields)
        self._received_event.set()

    def received_ids(self) -> list[int]:
        """Message ids received so far, in order."""
        return [msg_id for msg_id, _ in self.received]

    async def wait_received(self, msg_id: int, count: int = 1, timeout: float = 2.0) -> None:
        """Wait until ``count`` messages with ``msg_id`` have arrived (all connections)."""

        async def until() -> None:
            while self.received_ids().count(msg_id) < count:
                self._received_event.clear()
                await self._received_event.wait()

        await asyncio.wait_for(until(), timeout)

    @property
    def live_sessions(self) -> list[Session]:
        """Connections that are still open."""
        return [s for s in self.sessions if not s.closed]

    @property
    def executions(self) -> list[ExecutionRecord]:
        """Every fill so far, across connections."""
        return self.book.executions

    def next_valid_id(self) -> int:
        """NEXT_VALID_ID for a new connection or reqIds."""
        if self.forced_next_valid_id is not None:
            return self.forced_next_valid_id
        return max(self.scenario.next_valid_id, self.book.highest_order_id + 1)

    # --- faults and on-demand events ------------------------------------------------

    def drop_connections(self) -> None:
        """Close every client connection now (the listener stays up)."""
        for session in self.live_sessions:
            session.close()

    def send_error(
        self, code: int, text: str = "", req_id: int = -1, client_id: int | None = None
    ) -> None:
        """Send ERR_MSG to one client (by id) or to all connected clients."""
        message = msg.error(req_id, code, text or ERROR_TEXT.get(code, f"Error {code}"))
        for session in self.live_sessions:
            if client_id in (None, session.client_id):
                session.send(message)

    def connectivity_lost(self) -> None:
        """Error 1100 to every client: TWS lost its connection to IB."""
        self.send_error(1100)

    def connectivity_restored(self, data_lost: bool = False) -> None:
        """Error 1102 (or 1101 when subscriptions were lost) to every client."""
        self.send_error(1101 if data_lost else 1102)

    def fail_next(self, request: int, code: int, text: str = "") -> None:
        """Answer the next client message with id ``request`` by ERR_MSG on its reqId."""
        queue = self._planned_errors.setdefault(int(request), deque())
        queue.append((code, text or ERROR_TEXT.get(code, f"Error {code}")))

    def planned_error(self, msg_id: int) -> tuple[int, str] | None:
        """Pop the error planned by ``fail_next`` for this message id, if any."""
        queue = self._planned_errors.get(msg_id)
        return queue.popleft() if queue else None

    def fill_order(
        self,
        order_id: int,
        quantity: float | None = None,
        price: float | None = None,
        client_id: int | None = None,
    ) -> ExecutionRecord:
        """Fill a working order now (all that remains unless ``quantity``)."""
        record = self._find_order(order_id, client_id)
        return self.book.fill(record, self._sender(record.placed.client_id), quantity, price)

    def resend_execution(self, exec_id: str | None = None) -> None:
        """Repeat an execution report (default: the last) and its commission report."""
        execution = (
            self.executions[-1]
            if exec_id is None
            else next(e for e in self.executions if e.exec_id == exec_id)
        )
        send = self._sender(execution.order.placed.client_id)
        send(self.book.execution_message(execution))
        send(self.book.commission_message(execution))

    def publish(self) -> None:
        """Push current positions and account values to subscribed clients."""
        for session in self.live_sessions:
            if session.positions_subscribed:
                for account in self.scenario.account_ids:
                    for position in self.scenario.positions_of(account):
                        session.send_position(account, position.symbol)
            if session.account_updates:
                session.push_account_updates(session.account_updates)
            for req_id, account in session.account_multi.items():
                session.push_account_multi(req_id, account)

    # --- internals ------------------------------------------------------------------

    def _find_order(self, order_id: int, client_id: int | None) -> OrderRecord:
        matches = [
            r
            for r in self.book.orders.values()
            if r.placed.order_id == order_id and client_id in (None, r.placed.client_id)
        ]
        if len(matches) != 1:
            raise KeyError(f"order {order_id} (client {client_id}): {len(matches)} matches")
        return matches[0]

    def _sender(self, client_id: int) -> Callable[[msg.Message], None]:
        """Send to the live connection of ``client_id``; drop silently if none."""

        def send(fields: msg.Message) -> None:
            for session in self.live_sessions:
                if session.client_id == client_id:
                    session.send(fields)

        return send

    def _publish_fill(self, execution: ExecutionRecord) -> None:
        if not self.scenario.apply_fills:
            return
        account, symbol = execution.order.account, execution.order.instrument.symbol
        for session in self.live_sessions:
            if session.positions_subscribed:
                session.send_position(account, symbol)
            if session.account_updates == account:
                session.push_account_updates(account, symbol)
            for req_id, multi_account in session.account_multi.items():
                if multi_account == account:
                    session.push_account_multi(req_id, account)
