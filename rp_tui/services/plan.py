"""The plan: the account beside its targets, and the fee-inclusive orders between them.

Shared by the dashboard, the order preview, ``rp-tui plan`` and ``rp-tui rebalance``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from rp_tui.broker.base import AccountSnapshot, Broker, OrderRequest
from rp_tui.domain import allocation
from rp_tui.domain.rebalance import RebalanceRules, plan_rebalance
from rp_tui.errors import DataError
from rp_tui.inputs.fee_data import conversion_fee
from rp_tui.services.session import Session
from rp_tui.services.targets import Targets, targets_for


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
