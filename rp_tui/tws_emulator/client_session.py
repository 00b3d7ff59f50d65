"""One client connection: handshake, framing, the faults it applies, dispatch to handlers."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from . import messages as msg
from .handlers_account import AccountHandlers
from .handlers_history import HistoryHandlers
from .handlers_market import MarketDataHandlers
from .handlers_orders import OrderHandlers
from .orders import OrderBook
from .protocol import (
    ERROR_TEXT,
    SERVER_VERSION,
    In,
    frame,
    read_handshake,
    read_payload,
    split_fields,
)
from .requests import PlacedOrder
from .scenario import Scenario

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

_FARM_STATUS = (2104, 2106, 2158)


@dataclass
class Faults:
    """Faults that apply to the next messages; the counters are one-shot countdowns.

    ``drop_after_server_messages``: close the connection right after the server has sent
    this many more messages (any connection). ``drop_after_client_messages``: close it on
    receipt of the N-th client message; that message is still acted on (an order is still
    placed and filled), the client just never hears back: an unknown outcome.
    ``reply_delay``: seconds to wait before handling each client request (a slow TWS).
    ``drop_on_request``: close the connection on receipt of the next client message with
    this id (e.g. ``In.REQ_ALL_OPEN_ORDERS``), unanswered; one-shot.
    """

    reply_delay: float = 0.0
    drop_after_server_messages: int | None = None
    drop_after_client_messages: int | None = None
    drop_on_request: int | None = None


class Emulator(Protocol):
    """What a session uses of the ``TwsEmulator`` (server.py) that accepted it."""

    scenario: Scenario
    faults: Faults
    book: OrderBook
    placed_orders: list[PlacedOrder]
    sessions: list[Session]
    handler_errors: list[Exception]

    def record(self, session: Session, fields: list[str]) -> None:
        """Keep a client message for inspection by tests."""
        ...

    def next_valid_id(self) -> int:
        """NEXT_VALID_ID for a new connection or reqIds."""
        ...

    def planned_error(self, msg_id: int) -> tuple[int, str] | None:
        """Pop the error planned by ``fail_next`` for this message id, if any."""
        ...


class Session(MarketDataHandlers, HistoryHandlers, AccountHandlers, OrderHandlers):
    """One client connection: handshake, request dispatch, per-connection state."""

    def __init__(self, emu: Emulator, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
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
        if (
            faults.drop_on_request is not None
            and fields
            and fields[0] == str(int(faults.drop_on_request))
        ):
            faults.drop_on_request = None
            log.info("fault: dropping client %s on request %s", self.client_id, fields[0])
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
