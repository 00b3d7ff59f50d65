"""Backtest engine: replays the live rebalancing rules over a daily price history.

Rules: rebalance at the close of the last trading day of each period (see
:mod:`rp_tui.domain.calendar`), with target weights from the ``lookback`` daily simple
returns ending that day; the first rebalance is the first period end with ``lookback``
returns available, funded from cash. Orders are sized by the same
:func:`~rp_tui.domain.rebalance.plan_rebalance` as the live preview (band, cash buffer,
whole shares unless fractional) and fill at that close; commissions are paid from cash;
holdings stay constant between rebalances.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rp_tui.domain.calendar import period_end_indices
from rp_tui.domain.fees import FeeTable
from rp_tui.domain.metrics import performance_stats
from rp_tui.domain.rebalance import RebalanceRules, plan_rebalance
from rp_tui.domain.returns import simple_returns

Allocator = Callable[[np.ndarray], np.ndarray]
"""Maps a window of daily simple returns ``(lookback, n_assets)`` to target weights
``(n_assets,)`` (sum 1, or less when part is meant to stay in cash)."""


class BacktestError(ValueError):
    """The history cannot support the backtest (too short, or allocation failed on a date)."""


class BacktestCancelled(Exception):
    """Raised when the caller's ``cancelled`` callback returns True."""


@dataclass(frozen=True)
class BacktestSpec:
    """What to replay.

    Attributes:
        lookback: number of daily returns in each covariance window.
        frequency: ``"weekly"``, ``"monthly"`` or ``"quarterly"``.
        rules: band, cash buffer and whole shares, as in the live plan.
        capital: starting cash, base currency.
    """

    lookback: int
    frequency: str
    rules: RebalanceRules
    capital: float


@dataclass(frozen=True)
class Trades:
    """Executed trades, one entry each; arrays of shape ``(n_trades,)``.

    ``quantities`` are signed shares (> 0 bought), ``prices`` and ``commissions`` in the
    listing currency, ``assets`` are column indices.
    """

    dates: np.ndarray
    assets: np.ndarray
    quantities: np.ndarray
    prices: np.ndarray
    commissions: np.ndarray


@dataclass(frozen=True)
class BacktestResult:
    """Outcome of :func:`run_backtest`.

    Attributes:
        dates: trading dates from the first rebalance to the end, ``(n_days,)``.
        equity: portfolio value (cash + holdings) at each close, base currency, ``(n_days,)``.
        rebalance_dates: ``(n_rebalances,)``.
        target_weights: allocation at each rebalance, ``(n_rebalances, n_assets)``.
        trades: every order filled.
        fees_paid: total commissions, base currency.
        turnover: average annual one-way turnover, fraction of NAV (the funding trade of
            the first rebalance excluded).
        stats: :func:`~rp_tui.domain.metrics.performance_stats` of ``equity``.
    """

    dates: np.ndarray
    equity: np.ndarray
    rebalance_dates: np.ndarray
    target_weights: np.ndarray
    trades: Trades
    fees_paid: float
    turnover: float
    stats: dict[str, float] = field(default_factory=dict)


def run_backtest(
    dates: np.ndarray,
    prices: np.ndarray,
    fees: FeeTable,
    spec: BacktestSpec,
    allocate: Allocator,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    start: np.datetime64 | None = None,
) -> BacktestResult:
    """Replay ``allocate`` under ``spec`` over a price history.

    Args:
        dates: ``datetime64[D]`` trading dates, ``(n_days,)``, increasing.
        prices: adjusted closes, ``(n_days, n_assets)``, finite and > 0, one currency.
        fees: commission schedule per asset.
        spec: lookback, calendar, rules, capital.
        allocate: weights from the window of returns (e.g. ERC on its covariance).
        progress: called with the fraction of rebalances done, in [0, 1].
        cancelled: polled before each rebalance; True stops with :class:`BacktestCancelled`.
        start: first allowed rebalance date; earlier rows still feed the lookback.

    Returns:
        A :class:`BacktestResult`.

    Raises:
        BacktestError: no period end has ``lookback`` returns before it, or allocation
            failed on a date (the date is named).
        BacktestCancelled: see ``cancelled``.
    """
    dates = np.asarray(dates, dtype="datetime64[D]")
    prices = np.asarray(prices, dtype=float)
    returns = simple_returns(prices)
    ends = period_end_indices(dates, spec.frequency)
    ends = ends[ends >= spec.lookback]
    if start is not None:
        ends = ends[dates[ends] >= start]
    if ends.size == 0:
        raise BacktestError(
            f"history of {len(dates)} days has no {spec.frequency} period end with "
            f"{spec.lookback} returns before it: shorten the lookback or supply more history"
        )
    n_assets = prices.shape[1]
    holdings = np.zeros(n_assets)
    cash = float(spec.capital)
    first = int(ends[0])
    equity = np.empty(len(dates) - first)
    targets = np.empty((ends.size, n_assets))
    trade_rows: list[tuple[int, int, float, float, float]] = []
    fees_paid = 0.0
    traded_fraction = 0.0

    for k, day in enumerate(ends):
        if cancelled is not None and cancelled():
            raise BacktestCancelled
        day = int(day)
        window = returns[day - spec.lookback : day]
        try:
            targets[k] = allocate(window)
        except ValueError as exc:
            raise BacktestError(f"allocation failed on {dates[day]}: {exc}") from exc
        plan = plan_rebalance(holdings, prices[day], cash, targets[k], spec.rules, fees)
        for asset in np.flatnonzero(plan.quantities):
            trade_rows.append(
                (
                    day,
                    int(asset),
                    plan.quantities[asset],
                    prices[day, asset],
                    plan.commissions[asset],
                )
            )
        if k > 0:
            traded_fraction += plan.notional.sum() / (2.0 * plan.nav)
        holdings = holdings + plan.quantities
        cash = plan.cash_after
        fees_paid += plan.total_commission
        stop = int(ends[k + 1]) if k + 1 < ends.size else len(dates)
        equity[day - first : stop - first] = cash + prices[day:stop] @ holdings
        if progress is not None:
            progress((k + 1) / ends.size)

    curve_dates = dates[first:]
    years = (curve_dates[-1] - curve_dates[0]).astype(float) / 365.25
    rows = np.array(trade_rows, dtype=float).reshape(-1, 5)
    return BacktestResult(
        dates=curve_dates,
        equity=equity,
        rebalance_dates=dates[ends],
        target_weights=targets,
        trades=Trades(
            dates=dates[rows[:, 0].astype(int)],
            assets=rows[:, 1].astype(int),
            quantities=rows[:, 2],
            prices=rows[:, 3],
            commissions=rows[:, 4],
        ),
        fees_paid=fees_paid,
        turnover=traded_fraction / years if years > 0 else 0.0,
        stats=performance_stats(curve_dates, equity),
    )


def equal_weight(returns: np.ndarray) -> np.ndarray:
    """The equal-weight benchmark as an :data:`Allocator`: ``1/n`` each, ``(n_assets,)``."""
    n = returns.shape[1]
    return np.full(n, 1.0 / n)
