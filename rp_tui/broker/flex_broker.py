"""A read-only broker over an IBKR Flex statement: plans, previews, risk and drift work on
it; executing is refused by the shared execution path (``TradingAccess.read_only``).

The statement comes from ``[broker] flex_file`` (XML or CSV), else from the Flex Web
Service (``flex_query_id``, token from ``IBKR_FLEX_TOKEN`` or the keyring entry
``rp-tui``/``ibkr-flex-token``). Prices: each position's mark price from the statement
(quote kind ``portfolio``, shown as "mark"); a portfolio asset the statement does not hold is
priced at the price history's last close on or before the statement date (the bundled or
``--prices`` history, kind ``close``).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import numpy as np

from rp_tui.broker.base import (
    AccountSnapshot,
    BrokerOrder,
    Holding,
    OrderOutcome,
    OrderRequest,
    PreparedOrder,
    Quote,
    Ticket,
    TradingAccess,
)
from rp_tui.broker.broker_secrets import require_secret
from rp_tui.broker.flex_statement import FlexStatement, parse_flex, read_flex_file
from rp_tui.broker.flex_web import fetch_statement
from rp_tui.domain.fee_model import FeeTable
from rp_tui.domain.safety import SafetyLimits
from rp_tui.errors import BrokerError, DataError
from rp_tui.inputs.portfolio import Asset, BrokerSettings, Execution
from rp_tui.inputs.prices import PriceHistory
from rp_tui.state.trade_log import TradeLog

TOKEN_ENV = ("IBKR_FLEX_TOKEN",)
TRADING_BROKERS = 'kind = "ibkr" (TWS / IB Gateway), "alpaca" or "demo"'
READ_ONLY = f"a Flex statement is read-only: to trade, set [broker] {TRADING_BROKERS}"


class FlexBroker:
    """An account as an IBKR Flex statement shows it (read-only).

    Args:
        settings: ``flex_file`` or ``flex_query_id`` (+ ``flex_url``), ``account``.
        assets: the portfolio's assets.
        base_currency: the portfolio's base currency; must match the statement's.
        fees: fee schedule per asset (for previews).
        history: the portfolio's price history (bundled or ``--prices``): the last close of
            an asset the statement does not hold.
        execution, limits, log: the portfolio's settings (nothing is ever sent).
        on_status: receives one-line news (statement loaded).
        sleep: waits between Web Service tries (``time.sleep``; tests record them).
    """

    kind = "flex"

    def __init__(
        self,
        settings: BrokerSettings,
        assets: Sequence[Asset],
        base_currency: str,
        fees: FeeTable,
        history: PriceHistory | None = None,
        execution: Execution | None = None,
        limits: SafetyLimits | None = None,
        log: TradeLog | None = None,
        on_status: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if not settings.flex_file and not settings.flex_query_id:
            raise BrokerError(
                '[broker] kind = "flex" needs flex_file (a saved Flex report, XML or CSV) or '
                "flex_query_id (fetched from the Flex Web Service) in portfolio.toml"
            )
        self.settings, self.assets, self.base_currency = settings, tuple(assets), base_currency
        self.fees, self.history = fees, history
        self.execution = execution or Execution()
        self.limits = limits or SafetyLimits()
        self.log = log or TradeLog()
        self.on_status = on_status or (lambda _text: None)
        self.sleep = sleep
        self.statement: FlexStatement | None = None

    @property
    def source(self) -> str:
        """The statement's origin in words."""
        if self.settings.flex_file:
            return self.settings.flex_file
        return f"Flex query {self.settings.flex_query_id}"

    def _load(self) -> FlexStatement:
        account = self.settings.account
        if self.settings.flex_file:
            return read_flex_file(self.settings.flex_file, account)
        token = require_secret(TOKEN_ENV, "ibkr-flex-token", "the IBKR Flex Web Service token")
        data = fetch_statement(
            token, self.settings.flex_query_id, self.settings.flex_url, self.sleep
        )
        return parse_flex(data, self.source, account)

    async def statement_now(self) -> FlexStatement:
        """The statement, read once (again after :meth:`restart_connection`).

        Raises:
            BrokerError / DataError: unreadable file, Web Service refusal, unusable report.
        """
        if self.statement is None:
            self.on_status(f"reading the Flex statement ({self.source})…")
            self.statement = await asyncio.to_thread(self._load)
            self.on_status(
                f"connected to the Flex statement of {self.statement.account} "
                f"({self.statement.as_of or 'undated'}, read-only)"
            )
        return self.statement

    def restart_connection(self) -> None:
        """Forget the statement: the next snapshot reads (or fetches) it again."""
        self.statement = None

    def _close(self, symbol: str, as_of: str) -> float:
        """The history's last close of ``symbol`` on or before ``as_of``, NaN if none."""
        h = self.history
        if h is None or symbol not in h.symbols or not len(h.dates):
            return math.nan
        day = np.datetime64(as_of[:10], "D") if as_of else h.dates[-1]
        row = int(np.searchsorted(h.dates, day, side="right")) - 1
        return float(h.closes[row, h.symbols.index(symbol)]) if row >= 0 else math.nan

    async def snapshot(self) -> AccountSnapshot:
        """Positions (mark prices, average cost), cash per currency and FX from the statement.

        Raises:
            BrokerError / DataError: as :meth:`statement_now`; a base currency other than
                portfolio.toml's; a currency without a conversion rate.
        """
        s = await self.statement_now()
        if s.base_currency and s.base_currency != self.base_currency:
            raise BrokerError(
                f"{s.source}: account {s.account} has base currency {s.base_currency}, "
                f'portfolio.toml says {self.base_currency}; set base_currency = "{s.base_currency}"'
            )
        fx = {**s.fx, self.base_currency: 1.0}
        currencies = {p.currency for p in s.positions} | set(s.cash)
        missing = sorted(c for c in currencies if c not in fx)
        if missing:
            raise DataError(
                f"{s.source}: no {', '.join(missing)}/{self.base_currency} rate in the report; "
                "add the Conversion Rates section to the Flex Query"
            )
        listing = {a.symbol: a for a in self.assets}
        held = {p.symbol: p for p in s.positions}
        quantities, prices, kinds, blocked = {}, {}, {}, {}
        for asset in self.assets:
            position = held.get(asset.symbol)
            quantities[asset.symbol] = position.quantity if position else 0.0
        for symbol in [*listing, *(p for p in held if p not in listing)]:
            position = held.get(symbol)
            mark = position.mark_price if position else math.nan
            if mark > 0:
                prices[symbol], kinds[symbol] = mark, "portfolio"
            else:
                prices[symbol], kinds[symbol] = self._close(symbol, s.as_of), "close"
            if position and symbol not in listing:
                quantities[symbol] = position.quantity
            if not prices[symbol] > 0 and position:
                blocked[symbol] = f"{symbol}: no mark price in {s.source}"
        holdings = tuple(
            Holding(
                symbol=p.symbol,
                quantity=p.quantity,
                price=prices[p.symbol],
                currency=p.currency,
                exchange=listing[p.symbol].exchange if p.symbol in listing else "SMART",
                primary_exchange=(
                    listing[p.symbol].primary_exchange if p.symbol in listing else p.exchange
                ),
                average_cost=p.cost_price,
                con_id=p.con_id,
                in_portfolio=p.symbol in listing,
            )
            for p in s.positions
        )
        cash = s.base_cash
        if not math.isfinite(cash):
            cash = sum(amount * fx[c] for c, amount in s.cash.items())
        return AccountSnapshot(
            broker=self.kind,
            account=s.account,
            base_currency=self.base_currency,
            as_of=s.as_of or datetime.now(UTC).date().isoformat(),
            cash=cash,
            quantities=quantities,
            prices=prices,
            fx=fx,
            blocked=blocked,
            quote_kinds=kinds,
            cash_by_currency=dict(s.cash),
            holdings=holdings,
        )

    # -- the execution primitives: a statement sends nothing --------------------------

    def access(self) -> TradingAccess:
        """Always read-only (the shared path refuses every run); "connected" once read."""
        account = self.statement.account if self.statement else self.settings.account
        return TradingAccess(
            account=account,
            read_only=True,
            connected=self.statement is not None,
            live=False,
            allow_live=False,
            where=f"an IBKR Flex statement ({self.source}; read-only)",
            name="IBKR Flex statement (read-only)",
            read_only_reason=(
                "an IBKR Flex statement only reports the account: nothing was sent; to trade, "
                'use [broker] kind = "ibkr" (TWS / IB Gateway) or "alpaca"'
            ),
        )

    async def prepare_run(self, symbols: Sequence[str]) -> None:
        """Refused: a statement cannot trade.

        Raises:
            BrokerError: always, naming the brokers that can trade.
        """
        raise BrokerError(READ_ONLY)

    async def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """The statement's marks (or last closes) as quotes of their kind, dated now."""
        snapshot = await self.snapshot()
        now, nan, kinds = time.time(), math.nan, snapshot.quote_kinds
        return {
            s: Quote(s, nan, nan, snapshot.prices.get(s, nan), nan, kinds.get(s, "close"), now)
            for s in symbols
        }

    def nav(self) -> float:
        """NaN: a statement gives no live NAV (the plan computes it from the snapshot)."""
        return math.nan

    def fx(self, currency: str) -> float:
        """Base currency per unit of ``currency`` from the statement.

        Raises:
            BrokerError: the statement is not read yet, or has no rate for ``currency``.
        """
        if currency == self.base_currency:
            return 1.0
        rate = (self.statement.fx if self.statement else {}).get(currency)
        if rate is None:
            raise BrokerError(f"no {currency}/{self.base_currency} rate in {self.source}")
        return rate

    def buy_fees(self, symbols: Sequence[str]) -> FeeTable:
        """The portfolio's fee schedule of each symbol (previews only).

        Raises:
            BrokerError: a symbol that is not a portfolio asset.
        """
        index = {a.symbol: i for i, a in enumerate(self.assets)}
        missing = [s for s in symbols if s not in index]
        if missing:
            raise BrokerError(f"no fee schedule for {', '.join(missing)}: not an asset")
        return FeeTable([self.fees.schedules[index[s]] for s in symbols])

    def prepare(self, order: OrderRequest, quote: Quote, order_ref: str) -> PreparedOrder:
        """The order as it would be priced (never sent)."""
        return PreparedOrder(order, order_ref, "MKT", quote.price)

    async def place(self, prepared: PreparedOrder, run_id: str) -> Ticket:
        """Refused: a statement cannot trade.

        Raises:
            BrokerError: always, naming the brokers that can trade.
        """
        raise BrokerError(READ_ONLY)

    async def wait(self, tickets: Sequence[Ticket], timeout: float) -> None:
        """Nothing is ever working."""

    async def cancel(self, ticket: Ticket) -> None:
        """Nothing to cancel."""

    def outcome(self, ticket: Ticket) -> OrderOutcome:
        """Never reached (nothing is placed): a ``rejected`` outcome naming the fix."""
        return OrderOutcome("rejected", 0.0, ticket.prepared.price, 0.0, READ_ONLY)

    async def orders_by_ref(self, prefix: str) -> list[BrokerOrder]:
        """No orders: a statement sends none (reconciliation finds nothing to adopt)."""
        return []
