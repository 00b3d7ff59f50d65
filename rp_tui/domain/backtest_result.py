"""What a backtest returns: the equity curve, trades, turnover and statistics, built from
the state after each event of the replay (:mod:`rp_tui.domain.replay`, one account;
:mod:`rp_tui.domain.replay_many`, several in lockstep) in one vectorised pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from rp_tui.domain.metrics import performance_stats


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
        growth: time-weighted value of 1 invested at the first rebalance, ``(n_days,)``:
            equals ``equity / equity[0]`` without contributions or withdrawals.
        flows: cash added (> 0) or withdrawn (< 0) on each date, ``(n_days,)``.
        rebalance_dates: ``(n_rebalances,)``.
        target_weights: allocation at each rebalance, ``(n_rebalances, n_assets)``.
        drift_at_rebalance: mean |drift| across assets just before each rebalance, fraction
            of NAV, ``(n_rebalances,)``.
        holdings_weights: weights at each close, ``(n_days, n_assets)``.
        trades: every order filled.
        fees_paid: total commissions, base currency.
        turnover: average annual one-way turnover, fraction of NAV (the funding trade of
            the first rebalance excluded).
        stats: :func:`~rp_tui.domain.metrics.performance_stats` of ``growth``.
        event_dates: dates of every rebalance and cash flow, ``(n_events,)``.
        holdings_after: shares held after each event's trades, ``(n_events, n_assets)``.
        cash_after: cash after each event (trades, fees and the flow), ``(n_events,)``.
    """

    dates: np.ndarray
    equity: np.ndarray
    growth: np.ndarray
    flows: np.ndarray
    rebalance_dates: np.ndarray
    target_weights: np.ndarray
    drift_at_rebalance: np.ndarray
    holdings_weights: np.ndarray
    trades: Trades
    fees_paid: float
    turnover: float
    stats: dict[str, float] = field(default_factory=dict)
    event_dates: np.ndarray | None = None
    holdings_after: np.ndarray | None = None
    cash_after: np.ndarray | None = None


def summarise(
    dates: np.ndarray,
    prices: np.ndarray,
    fx: np.ndarray | None,
    first: int,
    ends: np.ndarray,
    events: np.ndarray,
    targets: np.ndarray,
    drift_seen: np.ndarray,
    navs: np.ndarray,
    orders: np.ndarray,
    held_after: np.ndarray,
    cash_after: np.ndarray,
    flows: np.ndarray,
    fees_paid: float,
) -> BacktestResult:
    """The :class:`BacktestResult` of one replayed account.

    Args:
        dates: ``(n_days,)`` trading dates; prices: ``(n_days, n_assets)`` closes; fx: base
            per listing currency, ``(n_days, n_assets)`` or ``None``.
        first: row of the first rebalance. ends, events: rows of the rebalances and of every
            event (rebalances and cash flows), increasing.
        targets: ``(n_rebalances, n_assets)`` allocations. drift_seen: ``(n_rebalances,
            n_assets)`` drift before each rebalance (NaN where the guard skipped it); navs:
            ``(n_rebalances,)`` NAV there (NaN likewise).
        orders: ``(3, n_events, n_assets)`` quantity, fill price and commission per event.
        held_after: ``(n_events, n_assets)`` shares after each event; cash_after:
            ``(n_events,)`` base currency. flows: ``(n_days - first,)`` cash added (> 0) or
            withdrawn (< 0). fees_paid: every commission, base currency.
    """
    n_assets = prices.shape[1]
    drift = np.add.reduce(np.abs(drift_seen), axis=1) / n_assets  # mean |drift|, row by row
    counted = ~np.isnan(navs)  # the rebalances after the first that the guard let trade
    counted[0] = False
    at = np.searchsorted(events, ends[counted])  # their events
    notional = np.add.reduce(np.abs(orders[0, at]) * orders[1, at], axis=1)  # plan.notional's
    traded_fraction = 0.0
    for moved in (notional / (2.0 * navs[counted])).tolist():  # in order, as one at a time
        traded_fraction += moved
    segment = np.searchsorted(events, np.arange(first, len(dates)), side="right") - 1
    value_prices = prices if fx is None else prices * fx
    held = value_prices[first:] * held_after[segment]
    equity = cash_after[segment] + held.sum(axis=1)
    curve_dates = dates[first:]
    years = (curve_dates[-1] - curve_dates[0]).astype(float) / 365.25
    event_index, assets = np.nonzero(orders[0])
    rows = np.column_stack(
        (
            events[event_index],
            assets,
            orders[0, event_index, assets],
            orders[1, event_index, assets],
            orders[2, event_index, assets],
        )
    )
    growth = time_weighted_growth(equity, flows)
    with np.errstate(invalid="ignore", divide="ignore"):
        weights_held = held / equity[:, None]
    with np.errstate(invalid="ignore", over="ignore"):  # the test's own sum
        finite = math.isfinite(np.add.reduce(weights_held, axis=None))
    if not finite:  # a NaN or ±inf somewhere (a zero equity): as np.nan_to_num has it
        weights_held = np.nan_to_num(weights_held)
    return BacktestResult(
        dates=curve_dates,
        equity=equity,
        growth=growth,
        flows=flows,
        rebalance_dates=dates[ends],
        target_weights=targets,
        drift_at_rebalance=drift,
        holdings_weights=weights_held,
        trades=Trades(
            dates=dates[rows[:, 0].astype(int)],
            assets=rows[:, 1].astype(int),
            quantities=rows[:, 2],
            prices=rows[:, 3],
            commissions=rows[:, 4],
        ),
        fees_paid=fees_paid,
        turnover=traded_fraction / years if years > 0 else 0.0,
        stats=performance_stats(curve_dates, growth),
        event_dates=dates[events],
        holdings_after=held_after,
        cash_after=cash_after,
    )


def time_weighted_growth(equity: np.ndarray, flows: np.ndarray) -> np.ndarray:
    """Value of 1 invested at the start, with external cash flows removed (time-weighted).

    Args:
        equity: closes' portfolio values ``(n_days,)`` after each day's flow.
        flows: cash added (> 0) or withdrawn (< 0) at each close, ``(n_days,)``.

    Returns:
        ``(n_days,)`` starting at 1: day ``t``'s return is ``(V_t − F_t) / V_{t−1} − 1``.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        daily = (equity[1:] - flows[1:]) / equity[:-1]
    daily = np.where(np.isfinite(daily), daily, 1.0)
    return np.concatenate(([1.0], np.cumprod(daily)))
