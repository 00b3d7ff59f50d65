"""Backtest engine: replays the live rebalancing rules over a daily price history.

Rules: rebalance at the close of the last trading day of each period (see
:mod:`rp_tui.domain.periods`), with target weights from the ``lookback`` daily simple
returns ending that day; the first rebalance is the first period end with ``lookback``
returns available, funded from cash. Orders are sized by the same
:func:`~rp_tui.domain.rebalance.plan_rebalance` as the live preview (band, cash buffer,
whole shares unless fractional) and fill at that close; commissions are paid from cash;
holdings stay constant between rebalances.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from rp_tui.domain.backtest_result import (
    BacktestResult,
    Trades,
    summarise,
    time_weighted_growth,
)
from rp_tui.domain.fee_model import FeeTable
from rp_tui.domain.periods import period_end_indices
from rp_tui.domain.rebalance import RebalanceRules, plan_rebalance
from rp_tui.domain.returns import sample_covariance, simple_returns
from rp_tui.domain.target_path import (
    Allocator,
    BacktestCancelled,
    BacktestError,
    TargetPath,
    rebalance_rows,
)

__all__ = [
    "Allocator",
    "BacktestCancelled",
    "BacktestError",
    "BacktestResult",
    "BacktestSpec",
    "TargetPath",
    "Trades",
    "equal_weight",
    "run_backtest",
    "time_weighted_growth",
]


@dataclass(frozen=True)
class BacktestSpec:
    """What to replay.

    Attributes:
        lookback: number of daily returns in each covariance window.
        frequency: ``"weekly"``, ``"monthly"`` or ``"quarterly"``.
        rules: band, buffer, shares, mode, costs: as in the live plan.
        capital: starting cash, base currency.
        sessions: the exchange's trading days (``datetime64[D]``), or ``None`` to take the
            price file's dates.
        anchor: ``"last"`` or ``"first"`` trading day of each period.
        contribution: cash added (> 0) or withdrawn (< 0) at the end of each
            ``contribution_frequency`` period after the first rebalance, base currency.
        contribution_frequency: ``None`` = the rebalance frequency.
        rebalance_once: trade only at the first rebalance (buy-and-hold of those weights).
        min_interval_days: the over-trading guard: a rebalance within this many calendar
            days of the last one that traded does not trade (0 = off).
    """

    lookback: int
    frequency: str
    rules: RebalanceRules
    capital: float
    sessions: np.ndarray | None = None
    anchor: str = "last"
    contribution: float = 0.0
    contribution_frequency: str | None = None
    rebalance_once: bool = False
    min_interval_days: int = 0


def run_backtest(
    dates: np.ndarray,
    prices: np.ndarray,
    fees: FeeTable,
    spec: BacktestSpec,
    allocate: Allocator | None,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    start: np.datetime64 | None = None,
    fx: np.ndarray | None = None,
    currency_groups: np.ndarray | None = None,
    fees_on: Callable[[datetime.date], FeeTable] | None = None,
    path: TargetPath | None = None,
) -> BacktestResult:
    """Replay ``allocate`` under ``spec`` over a price history.

    Args:
        dates: ``datetime64[D]`` trading dates, ``(n_days,)``, increasing.
        prices: adjusted closes, ``(n_days, n_assets)``, finite and > 0, one currency.
        fees: commission schedule per asset.
        spec: lookback, calendar, rules, capital.
        allocate: weights from the window of returns (e.g. ERC on its covariance); may be
            ``None`` when ``path`` is given.
        progress: called with the fraction of rebalances done, in [0, 1].
        cancelled: polled before each rebalance; True stops with :class:`BacktestCancelled`.
        start: first allowed rebalance date; earlier rows still feed the lookback.
        fx: base currency per unit of each listing's currency, ``(n_days, n_assets)``
            (``None``: everything is in the base currency). Returns for the covariance stay
            in each listing's currency; values, cash and NAV are in base currency.
        currency_groups: ``(n_assets,)`` int, each listing's currency (−1 = base; see
            :func:`rp_tui.domain.fx_conversion.currency_groups`): conversions are paid per currency.
        fees_on: the fees in force on a trade date, given as a ``datetime.date`` (dated
            regulatory fees); ``None``: ``fees``.
        path: the targets already computed for every rebalance row
            (:func:`rp_tui.domain.target_path.compute_path` with this ``spec`` and ``start``):
            only the orders are replayed. Exact only when every rebalance allocates
            (``min_interval_days`` 0) or the allocator keeps no state between calls.

    Returns:
        A :class:`BacktestResult`.

    Raises:
        BacktestError: no period end has ``lookback`` returns before it, allocation failed
            on a date, or orders could not be sized on one (withdrawals that emptied the
            account): the date is named.
        BacktestCancelled: see ``cancelled``.
    """
    dates = np.asarray(dates, dtype="datetime64[D]")
    prices = np.asarray(prices, dtype=float)
    if path is None:
        ends = rebalance_rows(
            dates,
            spec.frequency,
            spec.lookback,
            spec.sessions,
            spec.anchor,
            start,
            spec.rebalance_once,
        )
    else:
        ends = path.rows
    returns = None
    if path is None or (spec.rules.skip_uneconomic and path.covariances[0] is None):
        returns = simple_returns(prices)
    first = int(ends[0])
    flow_days = np.array([], dtype=int)
    if spec.contribution:
        freq = spec.contribution_frequency or spec.frequency
        flow_days = period_end_indices(dates, freq, spec.sessions, spec.anchor)
        flow_days = flow_days[flow_days > first]
    events = np.union1d(ends, flow_days).astype(int)
    event_days = None if fees_on is None else dates[events].tolist()  # datetime.date each
    rebalance_days, contribution_days = set(ends.tolist()), set(flow_days.tolist())

    n_days, n_assets = len(dates) - first, prices.shape[1]
    holdings, cash = np.zeros(n_assets), float(spec.capital)
    flows = np.zeros(n_days)
    targets = np.empty((ends.size, n_assets))
    # per rebalance: the drift before it and the NAV (NaN where the guard skipped it); the
    # mean |drift| and the turnover are taken from them and the orders after the loop
    drift_seen = np.full((ends.size, n_assets), np.nan)
    navs = np.full(ends.size, np.nan)
    # Per event, after trading: holdings and cash (the curve is rebuilt from them at the
    # end, vectorised) and the orders (quantity, fill price, commission per asset).
    held_after = np.empty((events.size, n_assets))
    cash_after = np.empty(events.size)
    orders = np.zeros((3, events.size, n_assets))
    fees_paid = 0.0
    k = -1
    last_trade, interval = None, np.timedelta64(spec.min_interval_days, "D")
    guard = spec.min_interval_days > 0

    for e, day in enumerate(events.tolist()):
        if cancelled is not None and cancelled():
            raise BacktestCancelled
        flow = spec.contribution if day in contribution_days else 0.0
        if flow > 0:
            cash += flow
        withdraw = -flow if flow < 0 else 0.0
        rules, covariance = spec.rules, None
        rebalancing = day in rebalance_days
        if rebalancing:
            k += 1
            too_soon = guard and last_trade is not None and dates[day] - last_trade < interval
            if too_soon:  # the over-trading guard: this period does not trade
                targets[k], rebalancing = targets[max(k - 1, 0)], False
        if rebalancing:
            if path is not None:
                allocated, covariance = path.weights[k], path.covariances[k]
            else:
                try:
                    allocated = allocate(returns[day - spec.lookback : day])
                except ValueError as exc:
                    raise BacktestError(f"allocation failed on {dates[day]}: {exc}") from exc
                if isinstance(allocated, tuple):
                    allocated, covariance = allocated
            if covariance is None and rules.skip_uneconomic:
                covariance = sample_covariance(returns[day - spec.lookback : day])
            targets[k] = allocated
            current = targets[k]
        elif (
            withdraw > cash and k >= 0
        ):  # a withdrawal between rebalances: sell the most overweight
            rules = replace(rules, mode="sell-only")
            current = targets[k]
        else:
            current = None
        if current is not None:
            if withdraw:
                value = prices[day] if fx is None else prices[day] * fx[day]
                withdraw = min(withdraw, cash + value @ holdings)
            try:
                plan = plan_rebalance(
                    holdings,
                    prices[day],
                    cash,
                    current,
                    rules,
                    fees if fees_on is None else fees_on(event_days[e]),
                    None if fx is None else fx[day],
                    withdraw=withdraw,
                    currency_groups=currency_groups,
                    covariance=covariance,
                )
            except ValueError as exc:  # a NAV of 0 (or a bad price): say which day, and why
                raise BacktestError(_unsized(dates[day], exc, cash, holdings, spec)) from exc
            quantities = plan.quantities
            if rebalancing:
                drift_seen[k], navs[k] = plan.drift, plan.nav
                if guard and np.count_nonzero(quantities):  # (the guard is the only reader)
                    last_trade = dates[day]
            orders[0, e], orders[1, e], orders[2, e] = (
                quantities,
                plan.fill_prices,
                plan.commissions,
            )
            holdings = holdings + quantities
            cash = plan.cash_after
            fees_paid += plan.total_commission
        if withdraw:
            taken = min(withdraw, max(cash, 0.0))
            cash -= taken
            flow = -taken
        flows[day - first] = flow
        held_after[e], cash_after[e] = holdings, cash
        if progress is not None:
            progress((e + 1) / events.size)

    return summarise(
        dates,
        prices,
        fx,
        first,
        ends,
        events,
        targets,
        drift_seen,
        navs,
        orders,
        held_after,
        cash_after,
        flows,
        fees_paid,
    )


def _unsized(
    day: np.datetime64, exc: ValueError, cash: float, holdings: np.ndarray, spec: BacktestSpec
) -> str:
    """Why a rebalance on ``day`` could not be sized: withdrawals that took everything (the
    usual case: NAV 0), else the sizer's own message."""
    if spec.contribution < 0 and cash <= 0 and not np.count_nonzero(holdings):
        return (
            f"the withdrawals have emptied the account by {day} (NAV 0): withdraw less each "
            "period (contribution) or start with more capital"
        )
    return f"orders could not be sized on {day}: {exc}"


def equal_weight(returns: np.ndarray) -> np.ndarray:
    """The equal-weight benchmark as an :data:`Allocator`: ``1/n`` each, ``(n_assets,)``."""
    n = returns.shape[1]
    return np.full(n, 1.0 / n)
