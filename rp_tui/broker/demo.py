"""The built-in demo account: real bundled prices, simulated fills, state kept on disk.

The seeded account starts with USD 100,000 invested equal-weight in the portfolio's assets,
in whole shares at the close about one year before the last date of the history, paying the
fee model's commission. Orders fill at once at the last close and are charged the estimated
commission. State lives in ``<data dir>/demo-account.json`` (atomic writes); every fill is
appended to the trade log first and replayed from it after a crash
(:mod:`rp_tui.state.demo_account`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rp_tui.broker.base import (
    AccountSnapshot,
    BrokerOrder,
    ExecutionReport,
    Holding,
    OrderOutcome,
    OrderRequest,
    PreparedOrder,
    Quote,
    Ticket,
    TradingAccess,
)
from rp_tui.broker.crash_points import crash_point
from rp_tui.domain.fee_model import FeeTable
from rp_tui.domain.safety import SafetyLimits
from rp_tui.errors import BrokerError
from rp_tui.inputs.portfolio import Asset, Execution
from rp_tui.inputs.prices import PriceHistory
from rp_tui.state.demo_account import (
    STATE_VERSION,
    apply_fill,
    load_state,
    new_epoch,
    reconcile,
    save_state,
    seed_record,
    state_path,
)
from rp_tui.state.trade_log import TradeLog

DEMO_ACCOUNT = "DEMO-RP1"
SEED_CAPITAL = 100_000.0
SEED_DAYS_BEFORE_END = 365


def seed_day(history: PriceHistory) -> np.datetime64:
    """The day the demo account is bought: the first date ~1 year before the last one."""
    target_day = history.dates[-1] - np.timedelta64(SEED_DAYS_BEFORE_END, "D")
    return history.dates[max(int(np.searchsorted(history.dates, target_day)), 0)]


def seed_state(
    history: PriceHistory,
    fees: FeeTable,
    base_currency: str = "USD",
    account: str = DEMO_ACCOUNT,
) -> dict:
    """The seeded account: equal value per asset bought ~1 year before the last date.

    Args:
        history: prices of the portfolio's assets (columns in asset order).
        fees: commission schedule per asset, in force on :func:`seed_day`.
        base_currency: the account's currency (demo prices are taken as that currency).
        account: the demo account's id.

    Returns:
        The JSON-ready state: account, base currency, seed date, cash, quantities, average
        cost per share (commission included), a new epoch and no fill applied.
    """
    row = int(np.searchsorted(history.dates, seed_day(history)))
    prices = history.closes[row]
    n = len(history.symbols)
    quantities = np.floor(SEED_CAPITAL / n / prices)
    while True:  # leave room for the commissions
        commissions = fees.commission(quantities, prices)
        cost = float((quantities * prices + commissions).sum())
        if cost <= SEED_CAPITAL:
            break
        quantities[int(np.argmax(quantities * prices))] -= 1
    return {
        "version": STATE_VERSION,
        "account": account,
        "base_currency": base_currency,
        "seeded_on": str(history.dates[row]),
        "cash": SEED_CAPITAL - cost,
        "quantities": {s: float(q) for s, q in zip(history.symbols, quantities, strict=True)},
        "average_costs": {
            s: float((q * p + c) / q)
            for s, q, p, c in zip(history.symbols, quantities, prices, commissions, strict=True)
            if q > 0
        },
        "epoch": new_epoch(),
        "last_fill_id": 0,
    }


class DemoBroker:
    """A simulated account over a :class:`PriceHistory`; prices are its last closes.

    It implements the broker primitives only: the guards and the sequence are the shared
    execution path's (:mod:`rp_tui.services.order_flow`), as for IBKR. Orders fill at
    once, at the last close, paying the order's estimated commission.

    Args:
        history: prices of the portfolio's assets (columns in asset order).
        fees: commission schedule per asset, charged on every fill.
        base_currency: the demo account's currency.
        path: state file; default :func:`state_path`.
        universe: every bundled price series (``session.universe``), to value holdings
            outside the portfolio; default ``history``.
        assets: the portfolio's assets (their listing is shown in the holdings).
        limits: pre-trade caps and the price band (``[safety]``).
        execution: ``[execution]`` (fill timeout, unfilled); demo orders never stay open.
        log: the trade log (default location when ``None``).
        account: the account's id (one demo account per bundled price set).
        seed_fees: commission schedules in force on the seed day; default ``fees``.
    """

    kind = "demo"

    def __init__(
        self,
        history: PriceHistory,
        fees: FeeTable,
        base_currency: str = "USD",
        path: Path | None = None,
        *,
        universe: PriceHistory | None = None,
        limits: SafetyLimits | None = None,
        execution: Execution | None = None,
        log: TradeLog | None = None,
        assets: Sequence[Asset] = (),
        account: str = DEMO_ACCOUNT,
        seed_fees: FeeTable | None = None,
    ):
        self.history, self.fees, self.base_currency = history, fees, base_currency
        self.account, self.seed_fees = account, seed_fees or fees
        self.assets = tuple(assets)
        self.path = path or state_path()
        self.universe = universe or history
        self.limits = limits or SafetyLimits()
        self.execution = execution or Execution()
        self.log = log or TradeLog()
        self._state: dict | None = None

    def reset(self) -> dict:
        """Restore the seeded account: a ``demo_reset`` record (the seed, a new epoch) goes
        to the trade log first, so no older fill is ever replayed; then the state file."""
        return self._seed(logged=True)

    def _seed(self, logged: bool) -> dict:
        """A new seeded account (a new epoch); ``logged``: write its reset record first (a
        first start is not logged, so a new user's trade log starts empty)."""
        state = seed_state(self.history, self.seed_fees, self.base_currency, self.account)
        if logged:
            self.log.append("demo_reset", **seed_record(state))
        self._save(state)
        self._state = state
        return state

    def _load(self) -> dict:
        """The account, with any fill the log holds but the file missed applied (and saved).

        Raises:
            BrokerError: the file is unreadable, or the file and the log disagree beyond
                repair (see :func:`rp_tui.state.demo_account.reconcile`).
        """
        records = self.log.read(events=("demo_reset", "demo_fill"))
        state, replayed = reconcile(load_state(self.path), records, self.account)
        if state is None:
            return self._seed(logged=False)
        if replayed:
            self._save(state)
        self._state = state
        return state

    def _save(self, state: dict) -> None:
        save_state(self.path, state)

    def _close(self, symbol: str) -> float:
        """The last close of ``symbol`` (the history's last date), NaN if unknown."""
        for prices in (self.history, self.universe):
            if symbol in prices.symbols:
                row = int(np.searchsorted(prices.dates, self.history.dates[-1], side="right")) - 1
                return float(prices.closes[max(row, 0), prices.symbols.index(symbol)])
        return math.nan

    async def snapshot(self) -> AccountSnapshot:
        """Cash and every holding, valued at the history's last close; a symbol held but not
        in the portfolio is priced from the bundled universe (blocked when it has none).

        Raises:
            BrokerError: the account file is unreadable or disagrees with the trade log.
        """
        state = self._load()
        held, costs = state["quantities"], state["average_costs"]
        portfolio = self.history.symbols
        others = [s for s, q in held.items() if q and s not in portfolio]
        symbols = [*portfolio, *others]
        prices = {s: self._close(s) for s in symbols}
        listing = {a.symbol: a for a in self.assets}
        holdings = tuple(
            Holding(
                symbol=s,
                quantity=held[s],
                price=prices[s],
                currency=state["base_currency"],
                exchange=listing[s].exchange if s in listing else "SMART",
                primary_exchange=listing[s].primary_exchange if s in listing else "",
                average_cost=costs.get(s, math.nan),
                in_portfolio=s in portfolio,
            )
            for s in symbols
            if held.get(s, 0.0)
        )
        return AccountSnapshot(
            broker=self.kind,
            account=state["account"],
            base_currency=state["base_currency"],
            as_of=self.history.as_of,
            cash=state["cash"],
            quantities={s: held.get(s, 0.0) for s in symbols},
            prices=prices,
            fx={state["base_currency"]: 1.0},
            blocked={
                s: f"{s}: no price in {self.universe.source}; orders blocked"
                for s in others
                if not prices[s] > 0
            },
            quote_kinds=dict.fromkeys(symbols, "close"),
            cash_by_currency={state["base_currency"]: state["cash"]},
            holdings=holdings,
        )

    # -- the execution primitives ------------------------------------------------------

    def access(self) -> TradingAccess:
        """The demo account: always connected, never read-only, never a live account."""
        return TradingAccess(
            self.account,
            False,
            True,
            False,
            False,
            "the demo account",
            "the demo account",
            fractional=True,
        )

    async def prepare_run(self, symbols: Sequence[str]) -> None:
        """Load the account for the run.

        Raises:
            BrokerError: a symbol without a price, or an unreadable account.
        """
        self._state = self._load()
        unpriced = [s for s in symbols if not self._close(s) > 0]
        if unpriced:
            raise BrokerError(f"the demo account has no price for {', '.join(unpriced)}")

    async def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """The last close of each symbol, as a fresh quote of kind ``close``."""
        now = time.time()
        return {
            s: Quote(s, math.nan, math.nan, self._close(s), self._close(s), "close", now)
            for s in symbols
        }

    def nav(self) -> float:
        """Cash plus every holding at its last close, base currency."""
        state = self._state or self._load()
        held = sum(q * self._close(s) for s, q in state["quantities"].items() if q)
        return state["cash"] + held

    def fx(self, currency: str) -> float:
        """1.0 for the base currency (demo prices are taken in it).

        Raises:
            BrokerError: any other currency.
        """
        if currency != self.base_currency:
            raise BrokerError(
                f"the demo account trades in {self.base_currency} only, not {currency}"
            )
        return 1.0

    def buy_fees(self, symbols: Sequence[str]) -> FeeTable:
        """The portfolio's commission schedule of each symbol, in ``symbols`` order.

        Raises:
            BrokerError: a symbol outside the portfolio.
        """
        index = {s: i for i, s in enumerate(self.history.symbols)}
        missing = [s for s in symbols if s not in index]
        if missing:
            raise BrokerError(f"no commission schedule for {', '.join(missing)}: not an asset")
        return FeeTable([self.fees.schedules[index[s]] for s in symbols])

    def prepare(self, order: OrderRequest, quote: Quote, order_ref: str) -> PreparedOrder:
        """A market order whose price is the quote (the last close) it will fill at."""
        return PreparedOrder(order, order_ref, "MKT", quote.price)

    async def place(self, prepared: PreparedOrder, run_id: str) -> Ticket:
        """Fill at once at ``prepared.price``, or reject an order that sells more than held
        or that cash cannot pay for (nothing changes then). The fill is appended to the
        trade log (``demo_fill`` with its epoch and ``fill_id``, fsync'd) before the account
        file is replaced, so a crash in between loses nothing: the next load replays it."""
        state = self._state if self._state is not None else self._load()
        self._state = state
        order, price = prepared.request, prepared.price
        held = state["quantities"].get(order.symbol, 0.0)
        signed = order.quantity if order.side == "BUY" else -order.quantity
        cash_change = -signed * price - order.commission
        if held + signed < -1e-9 or state["cash"] + cash_change < -1e-9:
            reason = "sells more than held" if signed < 0 else "not enough cash"
            return Ticket(prepared, OrderOutcome("rejected", 0.0, price, 0.0, reason))
        fill_id = state["last_fill_id"] + 1
        record = self.log.append(  # write-ahead: the log holds the fill before the state
            "demo_fill",
            run_id=run_id,
            account=state["account"],
            epoch=state["epoch"],
            fill_id=fill_id,
            order_ref=prepared.order_ref,
            symbol=order.symbol,
            side=order.side,
            quantity=order.quantity,
            price=price,
            commission=order.commission,
            currency=order.currency,
            as_of=self.history.as_of,
        )
        crash_point("demo:after_fill_logged")
        apply_fill(state, record)
        self._save(state)
        return Ticket(prepared, OrderOutcome("filled", order.quantity, price, order.commission))

    def move_cash(self, amount: float, why: str) -> None:
        """Deposit (``amount`` > 0) or withdraw (< 0) base currency, written ahead to the
        trade log like a fill (a ``CASH`` record), then applied.

        Raises:
            BrokerError: a withdrawal larger than the cash held.
        """
        state = self._state if self._state is not None else self._load()
        if state["cash"] + amount < -1e-9:
            raise BrokerError(
                f"the demo account holds {state['cash']:,.2f} {state['base_currency']}: a "
                f"{why} of {-amount:,.2f} is more than that"
            )
        record = self.log.append(
            "demo_fill",
            account=state["account"],
            epoch=state["epoch"],
            fill_id=state["last_fill_id"] + 1,
            symbol="",
            side="CASH",
            quantity=float(amount),
            price=1.0,
            commission=0.0,
            currency=state["base_currency"],
            why=why,
        )
        apply_fill(state, record)
        self._save(state)
        self._state = state

    async def wait(self, tickets: Sequence[Ticket], timeout: float) -> None:
        """Demo orders are done when placed: returns at once."""

    async def cancel(self, ticket: Ticket) -> None:
        """Nothing to cancel: demo orders never stay working."""

    def outcome(self, ticket: Ticket) -> OrderOutcome:
        """The outcome decided when the order was placed."""
        return ticket.handle

    async def orders_by_ref(self, prefix: str) -> list[BrokerOrder]:
        """Each ``demo_fill`` of the current epoch whose order reference starts with
        ``prefix``, from the write-ahead log (a fill whose run was killed before it heard of
        it is found), as a ``filled`` order with one execution ``demo:<epoch>:<fill id>``;
        rejected demo orders never reached the book. Raises BrokerError as :meth:`snapshot`."""
        epoch, found = self._load()["epoch"], []
        for r in self.log.read(events=("demo_fill",)):
            ref = str(r.get("order_ref") or "")
            mine = r.get("epoch") == epoch and r.get("account") == DEMO_ACCOUNT
            if mine and r.get("side") in ("BUY", "SELL") and ref.startswith(prefix) and ref:
                q, p, fee = float(r["quantity"]), float(r["price"]), float(r["commission"])
                e = ExecutionReport(f"demo:{epoch}:{r['fill_id']}", q, p, fee, r["currency"])
                found.append(BrokerOrder(ref, r["symbol"], r["side"], q, q, "filled", p, (e,)))
        return found
