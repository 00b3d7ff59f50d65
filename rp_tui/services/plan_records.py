"""The records of a plan, as both front ends show them: positions, orders and the plan.

Built by :func:`rp_tui.services.plan.plan_from_snapshot`; nothing here computes.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from rp_tui.broker.base import OrderRequest
from rp_tui.inputs.portfolio import Rebalancing


@dataclass(frozen=True)
class PositionRow:
    """One holding (or portfolio asset not held) in the plan.

    Money in the listing ``currency`` (``value`` in base currency); ``weight``, ``target``
    and ``drift`` are fractions of NAV; ``risk_contribution`` and
    ``target_risk_contribution`` fractions of portfolio variance. ``in_portfolio`` is False
    for a holding not listed in ``portfolio.toml`` (counted in NAV; kept or sold to zero by
    ``[rebalancing] outside_holdings``); ``average_cost`` per share, listing currency (NaN
    when unknown).
    """

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
    in_portfolio: bool = True
    average_cost: float = float("nan")

    @property
    def risk_drift(self) -> float:
        """Risk contribution now less its target share (fraction of variance)."""
        return self.risk_contribution - self.target_risk_contribution


@dataclass(frozen=True)
class OrderRow:
    """One order of the plan: ``quantity`` shares (positive) at reference ``price``;
    ``notional``, ``commission`` and ``realised_gain`` in ``currency``.

    ``realised_gain`` is a sell's estimated realised gain (or loss, < 0) against the
    position's average cost, after this order's commission; NaN for buys and when the cost
    is unknown. ``fee_notes`` are the fee model's assumptions for this listing (unverified
    figures say so).
    """

    symbol: str
    side: str
    quantity: float
    price: float
    currency: str
    notional: float
    commission: float
    realised_gain: float = float("nan")
    fee_notes: tuple[str, ...] = ()

    def request(self) -> OrderRequest:
        """This order as the broker interface takes it."""
        return OrderRequest(
            self.symbol, self.side, self.quantity, self.price, self.currency, self.commission
        )


@dataclass(frozen=True)
class Plan:
    """Account, targets and the orders that bring the one to the other.

    Money in ``base_currency`` unless a row says otherwise; orders are sells first.

    Attributes:
        policy: the ``[rebalancing]`` policy the orders follow (with any command-line
            overrides). ``band`` and ``cash_buffer`` are its band and buffer.
        cash: cash before trading, base currency, *including* ``cash_flow``.
        cash_flow: the deposit (> 0) or withdrawal (< 0) this plan is sized for.
        reserve: cash buys must leave: the buffer (and a withdrawal), base currency.
        cash_by_currency: every cash balance the broker reports, each in its currency.
        notes: what the method ignored or adjusted, what the policy held back, fee
            assumptions; shown with the plan.
        withheld: why the plan sends no order although drift asks for one (e.g. the
            over-trading guard), "" otherwise.
        total_realised_gain: Σ of the sells' estimated realised gains, base currency (NaN
            when a sold position's cost is unknown).
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
    policy: Rebalancing = field(default_factory=Rebalancing)
    cash_flow: float = 0.0
    reserve: float = float("nan")
    cash_by_currency: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    withheld: str = ""
    total_realised_gain: float = 0.0

    @property
    def buy_budget(self) -> float:
        """Cash buys may spend before sale proceeds: cash less the reserve, base currency."""
        reserve = self.reserve if math.isfinite(self.reserve) else self.cash_buffer * self.nav
        return min(self.cash - reserve, self.cash)

    @property
    def max_abs_drift(self) -> float:
        """The largest |drift| of any portfolio asset, a fraction of NAV."""
        return max((abs(p.drift) for p in self.positions if p.in_portfolio), default=0.0)

    @property
    def outside(self) -> tuple[PositionRow, ...]:
        """Holdings not listed in ``portfolio.toml``."""
        return tuple(p for p in self.positions if not p.in_portfolio)

    def to_json(self) -> dict:
        """The ``rp-tui plan --format json`` document (money in base currency, fractions;
        NaN as ``null``)."""
        keep = ("symbol", "quantity", "price", "value", "weight", "target", "drift")

        def number(x: float) -> float | None:
            return x if math.isfinite(x) else None

        return {
            "as_of": self.as_of,
            "base_currency": self.base_currency,
            "nav": self.nav,
            "cash": self.cash,
            "cash_flow": self.cash_flow,
            "cash_by_currency": self.cash_by_currency,
            "policy": asdict(self.policy),
            "positions": [
                {**{k: asdict(p)[k] for k in keep}, "in_portfolio": p.in_portfolio}
                for p in self.positions
            ],
            "orders": [
                {**asdict(o), "realised_gain": number(o.realised_gain), "fee_notes": o.fee_notes}
                for o in self.orders
            ],
            "total_commission": self.total_commission,
            "total_realised_gain": number(self.total_realised_gain),
            "cash_after": self.cash_after,
            "blocked": self.blocked,
            "notes": list(self.notes),
            "withheld": self.withheld,
        }
