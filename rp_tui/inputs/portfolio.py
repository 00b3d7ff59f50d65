"""The portfolio as the app uses it: validated records read from ``portfolio.toml``.

Read and validated by :mod:`rp_tui.inputs.portfolio_file`; edited by
:mod:`rp_tui.inputs.portfolio_edit`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from rp_tui.domain.constraints import Constraints, Group
from rp_tui.domain.rebalance import RebalanceRules
from rp_tui.domain.safety import SafetyLimits
from rp_tui.domain.strategy import AllocationSpec


@dataclass(frozen=True)
class Asset:
    """One holding: ``symbol`` as listed on ``exchange`` (``SMART`` routes via IBKR's router,
    ``primary_exchange`` then disambiguates the listing), quoted in ``currency``. Optional:
    ``asset_class`` (for ``[groups]``), ``budget`` (risk budget, ``risk-budget``), ``weight``
    (target weight, ``fixed``), ``min_weight`` / ``max_weight`` (bounds); all fractions."""

    symbol: str
    exchange: str = "SMART"
    currency: str = "USD"
    primary_exchange: str = ""
    asset_class: str = ""
    budget: float | None = None
    min_weight: float = 0.0
    max_weight: float = 1.0
    weight: float | None = None


@dataclass(frozen=True)
class Strategy:
    """How target weights are built (``[strategy]``). ``target_volatility`` an annual fraction
    (0 = off); ``half_life`` in trading days; ``outliers`` how the covariance window treats
    extreme returns (``off``, ``winsorize`` at the ``outlier_level`` quantile, ``mad``
    clipping at ``outlier_level`` robust standard deviations)."""

    method: str = "erc"
    lookback: int = 252
    estimator: str = "sample"
    half_life: float = 63.0
    returns: str = "simple"
    downside_threshold: float = 0.0
    risk_aversion: float = 4.0
    target_volatility: float = 0.0
    max_gross: float = 1.0
    outliers: str = "off"
    outlier_level: float = 0.01


@dataclass(frozen=True)
class Rebalancing:
    """The rebalancing policy (``[rebalancing]``): applied identically by the live plan and by
    every backtest rebalance; command-line flags only override it.

    Attributes:
        frequency: a rebalance is due each ``weekly`` / ``monthly`` / ``quarterly`` period,
            on its ``anchor`` (``last`` or ``first``) trading day of ``calendar`` (an
            exchange MIC such as XNYS; "" = the first asset's exchange; "file" = the price
            file's dates).
        min_interval_days: the over-trading guard: no rebalance within this many calendar
            days of the last one that traded (0 = off).
        band: drift band; ``band_kind`` ``absolute`` (a fraction of NAV: 0.02 = ±2 pp) or
            ``relative`` (a fraction of each target: 0.2 = ±20 % of it).
        trade: ``outside-band`` (only assets outside their band) or ``all`` (once one is
            outside, every asset back to target).
        mode: ``full``; ``buy-only`` (never sell: spend cash on the most underweight first);
            ``sell-only`` (only raise cash, from the most overweight first).
        min_trade: skip a trade smaller than this, base currency (0 = any size).
        max_commission_ratio: skip a trade whose commission exceeds this fraction of its
            value (0 = off).
        skip_uneconomic: skip a trade whose commission exceeds the drift cost it removes
            (Kritzman, Myrgren & Page 2009; see :mod:`rp_tui.domain.drift_cost`).
        cash_buffer: cash kept aside, a fraction of NAV; buys never spend it.
        fractional: trade fractional shares (default whole shares).
        outside_holdings: what a plan does with holdings not in ``[[assets]]``: ``keep``
            them (counted in NAV, never traded) or ``sell`` them to zero.
    """

    frequency: str = "monthly"
    anchor: str = "last"
    calendar: str = ""
    min_interval_days: int = 0
    band: float = 0.01
    band_kind: str = "absolute"
    trade: str = "outside-band"
    mode: str = "full"
    min_trade: float = 0.0
    max_commission_ratio: float = 0.0
    skip_uneconomic: bool = False
    cash_buffer: float = 0.01
    fractional: bool = False
    outside_holdings: str = "keep"

    def rules(self, **overrides) -> RebalanceRules:
        """The order-sizing rules of this policy (:func:`rp_tui.domain.rebalance
        .plan_rebalance` takes them); ``overrides`` replace fields of the result (e.g. the
        conversion fee of the fee plan, or a command-line flag)."""
        rules = RebalanceRules(
            band=self.band,
            cash_buffer=self.cash_buffer,
            whole_shares=not self.fractional,
            relative_band=self.band_kind == "relative",
            rebalance_all=self.trade == "all",
            mode=self.mode,
            min_trade_value=self.min_trade,
            max_commission_ratio=self.max_commission_ratio or math.inf,
            skip_uneconomic=self.skip_uneconomic,
        )
        return replace(rules, **overrides)


@dataclass(frozen=True)
class Schedule:
    """Unattended runs (``[schedule]``; ``rp-tui run``, ``rp-tui schedule``): when a run
    happens relative to each listing exchange's session, and what it does. The frequency and
    the anchor day are ``[rebalancing]``'s.

    Attributes:
        minutes_after_open: a run (and each order) waits this many minutes after its
            exchange opens: never in the opening auction; a value that would reach the last
            minutes before any session's close (early closes included) is refused.
        execute: ``True`` sends the orders (through every guard); ``False`` only plans.
        catch_up: a due moment missed while the schedule was in place (the machine was
            off) runs once at the next moment the exchange is open, under the missed
            period's key.
        notify: apprise notification URLs told of each due run's outcome (needs the
            ``notify`` extra; without it the run log says so).
    """

    minutes_after_open: int = 30
    execute: bool = False
    catch_up: bool = True
    notify: tuple[str, ...] = ()


@dataclass(frozen=True)
class BrokerSettings:
    """Where orders go: ``demo`` (built-in account), ``ibkr`` (TWS / IB Gateway), ``alpaca``
    (Alpaca's trading API) or ``flex`` (an IBKR Flex statement: read-only).

    Alpaca: ``alpaca_paper`` picks the paper or live endpoint, ``alpaca_feed`` the market
    data feed (``iex`` free, ``sip`` subscribed); ``alpaca_url`` / ``alpaca_data_url``
    replace Alpaca's base URLs (a proxy, or a local test server); keys come from the
    environment or the keyring. Flex: ``flex_file`` a Flex Query report (XML or CSV), or
    ``flex_query_id`` fetched from the Flex Web Service (``flex_url`` replaces its base URL;
    the token comes from the environment or the keyring).
    """

    kind: str = "demo"
    host: str = "127.0.0.1"
    port: int = 7497
    client_id: int = 17
    account: str = ""
    read_only: bool = True
    allow_live: bool = False
    connect_timeout: float = 5.0
    alpaca_paper: bool = True
    alpaca_feed: str = "iex"
    alpaca_url: str = ""
    alpaca_data_url: str = ""
    flex_file: str = ""
    flex_query_id: str = ""
    flex_url: str = ""


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
    rebalancing: Rebalancing = field(default_factory=Rebalancing)
    notes: tuple[str, ...] = ()  # what the method ignores or adjusts: shown with the targets
    schedule: Schedule = field(default_factory=Schedule)

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
        weights = [a.weight for a in self.assets]
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
            weights=None if None in weights else np.array(weights, dtype=float),
            outliers=s.outliers,
            outlier_level=s.outlier_level,
        )
