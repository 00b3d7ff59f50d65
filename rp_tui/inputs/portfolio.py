"""The portfolio as the app uses it: validated records read from ``portfolio.toml``.

Read and validated by :mod:`rp_tui.inputs.portfolio_file`; edited by
:mod:`rp_tui.inputs.portfolio_edit`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rp_tui.domain.constraints import Constraints, Group
from rp_tui.domain.safety import SafetyLimits
from rp_tui.domain.strategy import AllocationSpec


@dataclass(frozen=True)
class Asset:
    """One holding: ``symbol`` as listed on ``exchange`` (``SMART`` routes via IBKR's router,
    ``primary_exchange`` then disambiguates the listing), quoted in ``currency``."""

    symbol: str
    exchange: str = "SMART"
    currency: str = "USD"
    primary_exchange: str = ""
    asset_class: str = ""
    budget: float | None = None
    min_weight: float = 0.0
    max_weight: float = 1.0


@dataclass(frozen=True)
class Strategy:
    """Allocation and rebalancing rules. ``band`` and ``cash_buffer`` are fractions of NAV;
    ``target_volatility`` an annual fraction (0 = off); ``half_life`` in trading days."""

    method: str = "erc"
    lookback: int = 252
    rebalance: str = "monthly"
    band: float = 0.01
    cash_buffer: float = 0.01
    estimator: str = "sample"
    half_life: float = 63.0
    returns: str = "simple"
    downside_threshold: float = 0.0
    risk_aversion: float = 4.0
    target_volatility: float = 0.0
    max_gross: float = 1.0
    calendar: str = ""


@dataclass(frozen=True)
class BrokerSettings:
    """Where orders go: ``demo`` (built-in account) or ``ibkr`` (TWS / IB Gateway)."""

    kind: str = "demo"
    host: str = "127.0.0.1"
    port: int = 7497
    client_id: int = 17
    account: str = ""
    read_only: bool = True
    allow_live: bool = False
    connect_timeout: float = 5.0


@dataclass(frozen=True)
class Execution:
    """How confirmed orders are sent to IBKR.

    Attributes:
        order_type: ``limit`` (marketable limit, the default), ``market`` or ``adaptive``
            (IBKR's Adaptive algo on a marketable limit).
        limit_tolerance_bp: how far past the quote a marketable limit goes, basis points.
        fill_timeout: seconds to wait for the orders of one leg (sells, then buys).
        unfilled: what happens to the part of an order still open when ``fill_timeout``
            ends: ``cancel`` (the default: the run ends with nothing working) or ``keep``
            (it keeps working at the broker; the next plan blocks that symbol until it ends).
    """

    order_type: str = "limit"
    limit_tolerance_bp: float = 10.0
    fill_timeout: float = 60.0
    unfilled: str = "cancel"


@dataclass(frozen=True)
class Portfolio:
    """A validated ``portfolio.toml``."""

    path: Path
    base_currency: str
    strategy: Strategy
    fee_plan: str
    broker: BrokerSettings
    theme: str
    assets: tuple[Asset, ...] = field(default_factory=tuple)
    execution: Execution = field(default_factory=Execution)
    safety: SafetyLimits = field(default_factory=SafetyLimits)
    groups: tuple[tuple[str, float, float], ...] = ()

    @property
    def symbols(self) -> tuple[str, ...]:
        """The assets' tickers, in config order."""
        return tuple(a.symbol for a in self.assets)

    def constraints(self) -> Constraints:
        """Per-asset min/max and the asset-class groups, as domain constraints."""
        classes = np.array([a.asset_class for a in self.assets])
        return Constraints(
            lower=np.array([a.min_weight for a in self.assets]),
            upper=np.array([a.max_weight for a in self.assets]),
            groups=tuple(Group(name, classes == name, lo, hi) for name, lo, hi in self.groups),
            names=self.symbols,
        )

    def allocation_spec(self, method: str | None = None) -> AllocationSpec:
        """The strategy as the domain's :class:`AllocationSpec` (``method`` overrides)."""
        s = self.strategy
        budgets = [a.budget for a in self.assets]
        return AllocationSpec(
            method=method or s.method,
            estimator=s.estimator,
            half_life=s.half_life,
            returns=s.returns,
            budgets=None if None in budgets else np.array(budgets, dtype=float),
            constraints=self.constraints(),
            downside_threshold=s.downside_threshold,
            risk_aversion=s.risk_aversion,
            target_volatility=s.target_volatility or None,
            max_gross=s.max_gross,
        )
