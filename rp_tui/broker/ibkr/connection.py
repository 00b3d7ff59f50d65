"""Connection supervision: connect and pick the account, reconnect with back-off, a watchdog
for a silent TWS, and TWS's connectivity codes (1100 lost, 1101/1102 restored)."""

from __future__ import annotations

import asyncio
from typing import Any

from rp_tui.broker.ibkr.ib_values import WATCHDOG_SECONDS, why
from rp_tui.errors import BrokerError


class ConnectionMixin:
    """Part of :class:`~rp_tui.broker.ibkr.IbkrBroker`: the link to TWS.

    Uses ``ib``, ``settings`` and ``on_status``; keeps ``account``, ``connectivity_lost``
    (error 1100 until 1101/1102), ``messages`` (errors worth showing) and ``_closing``.
    """

    @property
    def address(self) -> str:
        """``host:port`` of TWS / IB Gateway."""
        return f"{self.settings.host}:{self.settings.port}"

    async def ask(self, awaitable: Any, what: str, timeout: float | None = None) -> Any:
        """Await one request to TWS (within ``timeout`` seconds when given).

        Raises:
            BrokerError: the connection dropped meanwhile (ib_async's ConnectionError):
                nothing was sent, and the message says what was being asked.
        """
        try:
            if timeout is not None:
                return await asyncio.wait_for(awaitable, timeout)
            return await awaitable
        except ConnectionError as exc:
            raise BrokerError(
                f"the connection to TWS at {self.address} dropped while {what}: nothing was "
                "sent; start TWS / IB Gateway again (or wait for the reconnect) and retry"
            ) from exc

    def _on_error(self, req_id: int, code: int, message: str, contract: Any = None) -> None:
        if code == 1100:  # connectivity between TWS and IBKR lost: stop sending
            self.connectivity_lost = True
            self.on_status(f"TWS lost its connection to IBKR (1100) at {self.address}")
        elif code in (1101, 1102):
            self.connectivity_lost = False
            self.on_status(f"TWS connection to IBKR restored ({code})")
        if not 2100 <= code < 2200:  # farm-status chatter is not worth keeping
            symbol = getattr(contract, "symbol", "") or ""
            self.messages.append(f"{code} {symbol} {message}".replace("  ", " "))

    async def connect(self) -> None:
        """Connect (read-only unless ``read_only = false``) and pick the account.

        Raises:
            BrokerError: TWS unreachable or slow (names host:port), an account that is not
                managed by this login, or several accounts and none configured.
        """
        if self.ib.isConnected():
            return
        s = self.settings
        self.on_status(f"connecting to TWS at {self.address}…")
        try:
            await self.ib.connectAsync(
                s.host,
                s.port,
                clientId=s.client_id,
                timeout=s.connect_timeout,
                readonly=s.read_only,
                account=s.account,
            )
        except (OSError, TimeoutError) as exc:
            self.ib.disconnect()
            self.on_status(f"disconnected: TWS not reachable at {self.address}")
            raise BrokerError(
                f"cannot reach TWS / IB Gateway at {self.address} "
                f"({why(exc, s.connect_timeout)}); "
                "start it with the API enabled (Configure > API > Settings) and check the "
                "port, or use the demo account (--broker demo)"
            ) from exc
        managed = self.ib.managedAccounts()
        if s.account and s.account not in managed:
            self.ib.disconnect()
            raise BrokerError(
                f"account {s.account} is not managed by this TWS login ({', '.join(managed)}); "
                "fix [broker] account in portfolio.toml"
            )
        if not s.account and len(managed) != 1:
            self.ib.disconnect()
            raise BrokerError(
                f"this login manages {', '.join(managed)}: set [broker] account to one of them"
            )
        self.account = s.account or managed[0]
        self.on_status(f"connected to {self.account} at {self.address}")

    def disconnect(self) -> None:
        """Close the connection for good: :meth:`supervise` stops too."""
        self._closing = True
        self.ib.disconnect()

    def restart_connection(self) -> None:
        """Drop the connection; :meth:`supervise` and the next request reconnect."""
        self._closing = False
        self.ib.disconnect()

    async def supervise(self, first_delay: float = 1.0, max_delay: float = 30.0) -> None:
        """Keep the connection up for the app's lifetime: reconnect with exponential
        back-off (seconds, ``first_delay`` doubling up to ``max_delay``) after a drop, and
        treat a silent connection as dropped (a watchdog asks TWS for its time after
        ``WATCHDOG_SECONDS`` without data). Runs until cancelled or :meth:`disconnect`;
        reports each state through ``on_status``. Never raises for a failed connect."""
        delay = first_delay
        self.ib.setTimeout(WATCHDOG_SECONDS)
        while not self._closing:
            if self.ib.isConnected():
                await asyncio.sleep(0.25)
                continue
            try:
                await self.connect()
                delay = first_delay
            except BrokerError:
                self.on_status(f"disconnected from TWS at {self.address}: retrying in {delay:g} s")
                await asyncio.sleep(delay)
                delay = min(delay * 2, max_delay)

    async def _on_silence(self, idle: float) -> None:
        try:
            await asyncio.wait_for(self.ib.reqCurrentTimeAsync(), 5)
        except (TimeoutError, ConnectionError):
            self.on_status(f"TWS silent for {idle:.0f} s: reconnecting")
            self.ib.disconnect()  # supervise() reconnects
