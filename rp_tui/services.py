"""Application services shared by the TUI and the headless commands.

Each function takes a :class:`Session` (validated config + price history + fee table) and
returns plain records that both front ends render; nothing here prints or draws.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from rp_tui.broker.base import AccountSnapshot, Broker, Fill, OrderRequest
from rp_tui.config import Portfolio, load_portfolio
from rp_tui.domain import allocation
from rp_tui.domain.allocation import AllocationError
from rp_tui.domain.constraints import InfeasibleError
from rp_tui.domain.fees import FeeTable
from rp_tui.domain.rebalance import RebalanceRules, plan_rebalance
from rp_tui.domain.returns import simple_returns
from rp_tui.domain.strategy import allocate
from rp_tui.errors import BrokerError, DataError, UserError
from rp_tui.fee_schedules import conversion_fee, fee_table
from rp_tui.prices import PriceHistory, load_prices


@dataclass(frozen=True)
class Session:
    """A validated portfolio with its price history (columns in asset order) and fees."""

    portfolio: Portfolio
    history: PriceHistory
    fees: FeeTable
    prices_path: str | None = None
    universe: PriceHistory | None = None


def open_session(
    config_path: str | Path = "portfolio.toml",
    prices_path: str | None = None,
    broker_kind: str | None = None,
) -> Session:
    """Load ``portfolio.toml`` and the price history (bundled unless ``prices_path``).

    With the IBKR broker (``broker_kind`` or the config's) and no ``prices_path``, symbols
    the bundled history lacks are fine: plans take IBKR's own daily bars; backtests then
    ask for ``--prices``.

    Raises:
        ConfigError: invalid config. DataError: unusable prices or a symbol without prices.
    """
    portfolio = load_portfolio(config_path)
    universe = load_prices(prices_path)
    try:
        history = universe.select(portfolio.symbols)
    except DataError as exc:
        if prices_path is not None or (broker_kind or portfolio.broker.kind) != "ibkr":
            raise
        history = PriceHistory.empty(portfolio.symbols, f"{exc}".split(";")[0])
    fees = fee_table(portfolio.fee_plan, portfolio.assets)
    path = None if prices_path is None else str(prices_path)
    return Session(portfolio, history, fees, path, universe)


def with_portfolio(session: Session, portfolio: Portfolio) -> Session:
    """The session after an edit of the portfolio (same price file, no disk reads).

    Raises:
        DataError: an asset the price history lacks (demo), named with the fix.
        ConfigError: no commission schedule for a listing.
    """
    universe = session.universe or session.history
    try:
        history = universe.select(portfolio.symbols)
    except DataError:
        if portfolio.broker.kind != "ibkr" or session.prices_path is not None:
            raise
        history = PriceHistory.empty(portfolio.symbols, "IBKR history")
    fees = fee_table(portfolio.fee_plan, portfolio.assets)
    return Session(portfolio, history, fees, session.prices_path, universe)


async def check_new_asset(session: Session, broker: Broker, asset) -> None:
    """Accept a new asset only if it can be priced: in the price history (demo), or
    qualified by IBKR (a real contract for that symbol, exchange and currency).

    Raises:
        DataError / BrokerError: the symbol is unknown, named with the fix.
    """
    if broker.kind == "ibkr":
        await broker.qualify_asset(asset)
        return
    universe = session.universe or session.history
    if asset.symbol not in universe.symbols:
        raise DataError(
            f"{asset.symbol} is not in the price history ({universe.source}); the demo "
            f"account can hold {', '.join(universe.symbols)}"
        )


@dataclass(frozen=True)
class Targets:
    """Target weights at ``as_of`` from the ``lookback`` daily returns ending that day.

    ``weights`` and ``risk_contributions`` have shape ``(n_assets,)`` and are fractions;
    ``covariance`` is ``(n_assets, n_assets)`` of daily simple returns.
    """

    as_of: str
    method: str
    lookback: int
    symbols: tuple[str, ...]
    weights: np.ndarray
    risk_contributions: np.ndarray
    covariance: np.ndarray
    estimator: str = "sample"
    budgets: np.ndarray | None = None
    exact: bool = True
    scale: float = 1.0
    returns: np.ndarray | None = None

    def to_json(self) -> dict:
        """The ``rp-tui weights --format json`` document (fractions)."""
        return {
            "as_of": self.as_of,
            "method": self.method,
            "lookback": self.lookback,
            "weights": dict(zip(self.symbols, map(float, self.weights), strict=True)),
            "risk_contributions": dict(
                zip(self.symbols, map(float, self.risk_contributions), strict=True)
            ),
        }


def compute_targets(
    session: Session,
    method: str | None = None,
    lookback: int | None = None,
    as_of=None,
    history: PriceHistory | None = None,
) -> Targets:
    """Allocation weights for the session's assets (config defaults unless overridden),
    from ``history`` (default: the session's bundled or CSV history).

    Raises:
        DataError: fewer than ``lookback`` returns up to ``as_of``, or a flat price series.
        ValueError: an unknown method.
    """
    method = method or session.portfolio.strategy.method
    lookback = lookback or session.portfolio.strategy.lookback
    history = (history or session.history).until(as_of)
    returns = simple_returns(history.closes)
    if len(returns) < lookback:
        raise DataError(
            f"{history.source}: only {len(returns)} daily returns up to {history.as_of}, "
            f"lookback needs {lookback}; lower strategy.lookback or supply more history"
        )
    window = returns[-lookback:]
    try:
        result = allocate(window, session.portfolio.allocation_spec(method))
    except AllocationError as exc:
        symbol = history.symbols[exc.asset] if exc.asset is not None else "the portfolio"
        raise DataError(f"{history.source}: cannot weight {symbol}: {exc}") from exc
    except InfeasibleError as exc:
        raise DataError(f"{session.portfolio.path}: infeasible constraints: {exc}") from exc
    return Targets(
        history.as_of,
        method,
        lookback,
        history.symbols,
        result.weights,
        result.risk_contributions,
        result.covariance,
        session.portfolio.strategy.estimator,
        result.budgets,
        result.exact,
        result.scale,
        window,
    )


def make_broker(
    session: Session,
    kind: str | None = None,
    on_status: Callable[[str], None] | None = None,
    **settings: object,
) -> Broker:
    """The broker named in the config (or ``kind``).

    Args:
        session: the portfolio and its fee table.
        kind: ``"demo"`` or ``"ibkr"``; default ``[broker] kind``.
        on_status: IBKR only: receives one-line connection status updates.
        settings: overrides of ``[broker]`` fields (``host``, ``port``, ``client_id``,
            ``read_only``, ``account``); ``None`` values are ignored.

    Raises:
        BrokerError: an unknown broker kind.
    """
    p = session.portfolio
    kind = kind or p.broker.kind
    if kind == "demo":
        from rp_tui.broker.demo import DemoBroker

        return DemoBroker(session.history, session.fees, p.base_currency)
    if kind == "ibkr":
        from rp_tui.broker.ibkr import IbkrBroker

        chosen = {k: v for k, v in settings.items() if v is not None}
        return IbkrBroker(
            replace(p.broker, **chosen),
            p.assets,
            p.base_currency,
            session.fees,
            p.execution,
            p.safety,
            on_status=on_status,
        )
    raise BrokerError(f'broker kind {kind!r} is unknown; use "demo" or "ibkr"')


@dataclass(frozen=True)
class PositionRow:
    """One asset in the plan. Money in the listing ``currency`` (value in base currency);
    ``weight``, ``target``, ``drift`` and ``risk_contribution`` are fractions of NAV /
    of portfolio variance; ``target_risk_contribution`` is the targets' share of variance."""

    symbol: str
    exchange: str
    currency: str
    quantity: float
    price: float
    value: float
    weight: float
    target: float
    drift: float
    risk_contribution: float
    target_risk_contribution: float = float("nan")

    @property
    def risk_drift(self) -> float:
        """Risk contribution now less its target share (fraction of variance)."""
        return self.risk_contribution - self.target_risk_contribution


@dataclass(frozen=True)
class OrderRow:
    """One order of the plan: ``quantity`` shares (positive) at reference ``price``;
    ``notional`` and ``commission`` in ``currency``."""

    symbol: str
    side: str
    quantity: float
    price: float
    currency: str
    notional: float
    commission: float

    def request(self) -> OrderRequest:
        """This order as the broker interface takes it."""
        return OrderRequest(
            self.symbol, self.side, self.quantity, self.price, self.currency, self.commission
        )


@dataclass(frozen=True)
class Plan:
    """Account, targets and the orders that bring the one to the other.

    Money in ``base_currency`` unless a row says otherwise; orders are sells first.
    """

    broker: str
    account: str
    as_of: str
    base_currency: str
    method: str
    lookback: int
    band: float
    cash_buffer: float
    nav: float
    cash: float
    positions: tuple[PositionRow, ...]
    orders: tuple[OrderRow, ...]
    total_commission: float
    cash_after: float
    blocked: dict[str, str] = field(default_factory=dict)
    quote_kinds: dict[str, str] = field(default_factory=dict)

    @property
    def buy_budget(self) -> float:
        """Cash buys may spend before sale proceeds: cash less the buffer, base currency."""
        return min(self.cash - self.cash_buffer * self.nav, self.cash)

    @property
    def max_abs_drift(self) -> float:
        """The largest |drift| of any asset, a fraction of NAV."""
        return max((abs(p.drift) for p in self.positions), default=0.0)

    def to_json(self) -> dict:
        """The ``rp-tui plan --format json`` document (money in base currency, fractions)."""
        keep = ("symbol", "quantity", "price", "value", "weight", "target", "drift")
        return {
            "as_of": self.as_of,
            "base_currency": self.base_currency,
            "nav": self.nav,
            "cash": self.cash,
            "positions": [{k: asdict(p)[k] for k in keep} for p in self.positions],
            "orders": [asdict(o) for o in self.orders],
            "total_commission": self.total_commission,
            "cash_after": self.cash_after,
            "blocked": self.blocked,
        }


def plan_from_snapshot(session: Session, snapshot: AccountSnapshot, targets: Targets) -> Plan:
    """Size the orders for ``snapshot`` under the session's rules.

    An asset in ``snapshot.blocked`` or without a valid price is not traded, and the reason
    is kept in ``Plan.blocked``; weight is never spread over the other assets.

    Raises:
        DataError: a held asset with no price at all (named), or NAV ≤ 0.
    """
    assets = session.portfolio.assets
    prices = np.array([snapshot.prices.get(a.symbol, np.nan) for a in assets], dtype=float)
    quantities = np.array([snapshot.quantities.get(a.symbol, 0.0) for a in assets])
    blocked = dict(snapshot.blocked)
    for a, p in zip(assets, prices, strict=True):
        if not (p > 0) and a.symbol not in blocked:
            blocked[a.symbol] = f"no valid price for {a.symbol} on {snapshot.as_of}"
    unvalued = [
        a.symbol
        for a, p, q in zip(assets, prices, quantities, strict=True)
        if not (p > 0) and q != 0
    ]
    if unvalued:
        raise DataError(
            f"account {snapshot.account}: cannot value {', '.join(unvalued)} (no price at all); "
            "no plan until a price arrives"
        )
    frozen = np.array([a.symbol in blocked for a in assets])
    prices = np.where(prices > 0, prices, 1.0)  # placeholder for unheld, frozen assets
    fx = np.array([snapshot.fx.get(a.currency, 1.0) for a in assets])
    strategy = session.portfolio.strategy
    foreign = np.array([a.currency != snapshot.base_currency for a in assets])
    rate, minimum, minimum_ccy = conversion_fee(session.portfolio.fee_plan)
    rules = RebalanceRules(
        band=strategy.band,
        cash_buffer=strategy.cash_buffer,
        fx_rate_of_value=rate,
        fx_minimum=minimum * snapshot.fx.get(minimum_ccy, 1.0),
    )
    try:
        sized = plan_rebalance(
            quantities,
            prices,
            snapshot.cash,
            targets.weights,
            rules,
            session.fees,
            fx,
            frozen,
            foreign=foreign,
        )
    except ValueError as exc:
        raise DataError(f"account {snapshot.account}: {exc}") from exc
    current_rc = (
        allocation.risk_contributions(sized.weights, targets.covariance)
        if sized.weights.any()
        else np.zeros(len(assets))  # an empty account carries no risk yet
    )
    positions = tuple(
        PositionRow(
            a.symbol,
            a.exchange,
            a.currency,
            float(quantities[i]),
            float(prices[i]),
            float(quantities[i] * prices[i] * fx[i]),
            float(sized.weights[i]),
            float(sized.targets[i]),
            float(sized.drift[i]),
            float(current_rc[i]),
            float(targets.risk_contributions[i]),
        )
        for i, a in enumerate(assets)
    )
    orders = tuple(
        OrderRow(
            a.symbol,
            "BUY" if sized.quantities[i] > 0 else "SELL",
            float(abs(sized.quantities[i])),
            float(prices[i]),
            a.currency,
            float(sized.notional[i]),
            float(sized.commissions[i]),
        )
        for i, a in sorted(enumerate(assets), key=lambda ia: sized.quantities[ia[0]] > 0)
        if sized.quantities[i] != 0
    )
    return Plan(
        broker=snapshot.broker,
        account=snapshot.account,
        as_of=snapshot.as_of,
        base_currency=snapshot.base_currency,
        method=targets.method,
        lookback=targets.lookback,
        band=strategy.band,
        cash_buffer=strategy.cash_buffer,
        nav=sized.nav,
        cash=snapshot.cash,
        positions=positions,
        orders=orders,
        total_commission=sized.total_commission,
        cash_after=sized.cash_after,
        blocked=blocked,
        quote_kinds=dict(snapshot.quote_kinds),
    )


async def build_plan(session: Session, broker: Broker, targets: Targets | None = None) -> Plan:
    """Snapshot the account and size the rebalance (targets as of the account's date).

    With IBKR, the covariance comes from IBKR's daily history unless ``--prices`` gave one.
    """
    snapshot = await broker.snapshot()
    if targets is None:
        targets = await targets_for(session, broker, snapshot)
    return plan_from_snapshot(session, snapshot, targets)


async def targets_for(session: Session, broker: Broker, snapshot: AccountSnapshot) -> Targets:
    """Targets as of the snapshot's date; with IBKR from IBKR's own daily history unless
    ``--prices`` gave one."""
    history = None
    if broker.kind == "ibkr" and session.prices_path is None:
        history = await broker.history(session.portfolio.strategy.lookback + 1)
    return compute_targets(session, as_of=snapshot.as_of[:10], history=history)


async def what_if_commissions(broker: Broker, plan: Plan) -> dict[str, float]:
    """TWS's own commission estimate per ordered symbol (listing currency), beside the model's.

    NaN where TWS has no value (it sends 1.7976931348623157e308) or the broker cannot say
    (the demo account, a read-only connection, a timeout). Never raises for those.
    """
    what_if = getattr(broker, "what_if", None)
    if what_if is None or not plan.orders:
        return {o.symbol: float("nan") for o in plan.orders}
    try:
        return await what_if([o.request() for o in plan.orders])
    except (UserError, TimeoutError, ConnectionError):
        return {o.symbol: float("nan") for o in plan.orders}


def read_trade_log(limit: int = 500) -> list[dict]:
    """The last ``limit`` trade-log records (intents, orders, statuses, fills), oldest first."""
    from rp_tui.broker.trade_log import TradeLog

    return TradeLog().read(limit)


def trading_state() -> str:
    """The persistent trading state: ``ACTIVE``, ``REDUCING`` or ``HALTED``."""
    from rp_tui.broker.trading_state import read_trading_state

    return read_trading_state().value


def set_trading_state(state: str) -> None:
    """Set the kill switch (``ACTIVE`` / ``REDUCING`` / ``HALTED``); raises ValueError."""
    from rp_tui.broker.trading_state import write_trading_state
    from rp_tui.domain.safety import TradingState

    write_trading_state(TradingState(state))


async def execute_plan(
    broker: Broker, plan: Plan, run_id: str = "", typed_confirmation: str = ""
) -> list[Fill]:
    """Send the plan's orders, sells first, buys within the cash after the sells. Call only
    after the user confirmed; ``typed_confirmation`` is the account id a live account needs."""
    orders = [order.request() for order in plan.orders]
    return await broker.execute(
        orders, run_id=run_id, buy_budget=plan.buy_budget, typed_confirmation=typed_confirmation
    )


# The backtest service lives in its own module; these names are part of this API too.
from rp_tui.backtesting import (  # noqa: E402
    BacktestOptions,
    BacktestReport,
    backtest,
    write_backtest_outputs,
)
from rp_tui.risk import RiskReport, risk_report  # noqa: E402

__all__ = [
    "BacktestOptions",
    "BacktestReport",
    "OrderRow",
    "Plan",
    "PositionRow",
    "RiskReport",
    "Session",
    "Targets",
    "backtest",
    "build_plan",
    "check_new_asset",
    "compute_targets",
    "execute_plan",
    "make_broker",
    "open_session",
    "plan_from_snapshot",
    "read_trade_log",
    "risk_report",
    "set_trading_state",
    "targets_for",
    "trading_state",
    "what_if_commissions",
    "with_portfolio",
    "write_backtest_outputs",
]
