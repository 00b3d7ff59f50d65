"""The emulator: a loopback TWS API server with scriptable scenario data and faults."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from . import messages as msg
from .client_session import Faults, Session
from .orders import ExecutionRecord, OrderBook, OrderRecord
from .protocol import ERROR_TEXT, SERVER_VERSION
from .requests import PlacedOrder
from .scenario import Scenario

log = logging.getLogger(__name__)


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
