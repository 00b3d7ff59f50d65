"""Interactive Brokers through ib_async, using only its async API (safe inside Textual's loop).

The broker is assembled from one mixin per job, each in its own module: connection
supervision, contracts, quotes, history, the account snapshot and order sending.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Sequence
from typing import Any

from rp_tui.broker.ibkr.account import AccountMixin
from rp_tui.broker.ibkr.connection import ConnectionMixin
from rp_tui.broker.ibkr.contracts import ContractsMixin
from rp_tui.broker.ibkr.history import HistoryCache, HistoryMixin, Pacer
from rp_tui.broker.ibkr.order_lookup import OrderLookupMixin
from rp_tui.broker.ibkr.order_sending import OrdersMixin
from rp_tui.broker.ibkr.quotes import QuotesMixin
from rp_tui.domain.fee_model import FeeTable
from rp_tui.domain.safety import SafetyLimits
from rp_tui.inputs.portfolio import Asset, BrokerSettings, Execution
from rp_tui.state.trade_log import TradeLog


class IbkrBroker(
    ConnectionMixin,
    ContractsMixin,
    QuotesMixin,
    HistoryMixin,
    AccountMixin,
    OrdersMixin,
    OrderLookupMixin,
):
    """A TWS / IB Gateway account.

    Args:
        settings: host, port, client id, account, read-only, allow_live, timeout.
        assets: the portfolio's assets (their listing identifies each contract).
        base_currency: the portfolio's base currency; must match the account's.
        fees: commission schedule per asset (to resize buys after the sells).
        execution: order type, limit tolerance, fill timeout, what happens to unfilled.
        limits: pre-trade caps and the price band.
        log: the trade log (default location when ``None``).
        on_status: called with a one-line connection status for the UI.
    """

    kind = "ibkr"

    def __init__(
        self,
        settings: BrokerSettings,
        assets: Sequence[Asset],
        base_currency: str,
        fees: FeeTable,
        execution: Execution | None = None,
        limits: SafetyLimits | None = None,
        log: TradeLog | None = None,
        on_status: Callable[[str], None] | None = None,
    ):
        from ib_async import IB

        self.settings, self.assets, self.base_currency = settings, tuple(assets), base_currency
        self.fees = fees
        self.execution = execution or Execution()
        self.limits = limits or SafetyLimits()
        self.log = log or TradeLog()
        self.on_status = on_status or (lambda _: None)
        self.ib = IB()
        self.account = ""
        self.contracts: dict[str, Any] = {}
        self.min_ticks: dict[str, float] = {}
        self.held_contracts: dict[str, Any] = {}
        self.connectivity_lost = False
        self.messages: list[str] = []
        self._nav = math.nan
        self.history_cache = HistoryCache()
        self.pacer = Pacer()
        self._closing = False
        self.ib.errorEvent += self._on_error
        self.ib.timeoutEvent += lambda idle: asyncio.ensure_future(self._on_silence(idle))
