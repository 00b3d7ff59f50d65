"""The target-weight path of a backtest: its rebalance rows and the allocation at each, once.

Target weights depend on the returns window and the method only, never on holdings, band,
mode or fees (each window is allocated as the live plan allocates today's: no state carried
from one rebalance to the next): so a backtest can compute them before replaying the orders,
and a sweep can replay many order-sizing rules on one path (:mod:`rp_tui.services.sweep`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rp_tui.domain.periods import period_end_indices

Allocator = Callable[[np.ndarray], np.ndarray | tuple[np.ndarray, np.ndarray]]
"""Maps a window of daily simple returns ``(lookback, n_assets)`` to target weights
``(n_assets,)`` (sum 1, or less when part is meant to stay in cash), or to ``(weights,
covariance)`` with the ``(n_assets, n_assets)`` daily covariance it used (needed by the
``skip_uneconomic`` rule; without it the window's sample covariance is used). An allocator
may also have ``many(windows)``: the same results for ``(k, lookback, n_assets)`` windows at
once (a list), which :func:`compute_path` then uses."""

_CHUNK = 32  # windows per call of ``many``: progress and cancel are checked between chunks


class BacktestError(ValueError):
    """The history cannot support the backtest (too short, or allocation failed on a date)."""


class BacktestCancelled(Exception):
    """Raised when the caller's ``cancelled`` callback returns True."""


@dataclass(frozen=True)
class TargetPath:
    """Allocations at each rebalance row, in order.

    Attributes:
        rows: ``(n_rebalances,)`` int row indices into the price history (the day whose
            close the rebalance trades at; its window is the ``lookback`` returns before it).
        weights: ``(n_rebalances, n_assets)`` target weights.
        covariances: per rebalance, the ``(n_assets, n_assets)`` daily covariance the
            allocator used, or ``None`` when it returned weights only.
    """

    rows: np.ndarray
    weights: np.ndarray
    covariances: tuple[np.ndarray | None, ...]


def rebalance_rows(
    dates: np.ndarray,
    frequency: str,
    lookback: int,
    sessions: np.ndarray | None = None,
    anchor: str = "last",
    start: np.datetime64 | None = None,
    once: bool = False,
) -> np.ndarray:
    """Rows of ``dates`` ``(n_days,)`` where a backtest rebalances: each period's anchor day
    (:func:`~rp_tui.domain.periods.period_end_indices`) with ``lookback`` returns before it,
    on or after ``start``; only the first when ``once``. ``(n_rebalances,)`` int.

    Raises:
        BacktestError: no such row.
    """
    ends = period_end_indices(dates, frequency, sessions, anchor)
    ends = ends[ends >= lookback]
    if start is not None:
        ends = ends[dates[ends] >= start]
    if ends.size == 0:
        raise BacktestError(
            f"history of {len(dates)} days has no {frequency} period end with "
            f"{lookback} returns before it: shorten the lookback or supply more history"
        )
    return ends[:1] if once else ends


def compute_path(
    returns: np.ndarray,
    dates: np.ndarray,
    rows: np.ndarray,
    lookback: int,
    allocate: Allocator,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> TargetPath:
    """Call ``allocate`` on each rebalance's window, in order (its ``many`` on 32 windows
    at a time when it has one).

    Args:
        returns: daily simple returns ``(n_days - 1, n_assets)``; row ``t - 1`` is day ``t``'s.
        dates: ``(n_days,)`` ``datetime64[D]``, to name a failing date.
        rows: :func:`rebalance_rows`. lookback: returns per window.
        allocate: see :data:`Allocator`.
        progress: called with the fraction of rows done, in [0, 1].
        cancelled: polled before each row (each chunk of ``many``); True stops with
            :class:`BacktestCancelled`.

    Raises:
        BacktestError: allocation failed on a date (named).
        BacktestCancelled: see ``cancelled``.
    """
    n_assets = returns.shape[1]
    weights = np.empty((rows.size, n_assets))
    covariances: list[np.ndarray | None] = [None] * rows.size
    many = getattr(allocate, "many", None)
    days, step = rows.tolist(), _CHUNK if many is not None else 1
    for first in range(0, len(days), step):
        if cancelled is not None and cancelled():
            raise BacktestCancelled
        chunk = days[first : first + step]
        results = None
        if many is not None:
            try:
                results = many(np.stack([returns[day - lookback : day] for day in chunk]))
            except ValueError:  # found again below, one window at a time, with its date
                results = None
        if results is None:
            results = []
            for day in chunk:
                try:
                    results.append(allocate(returns[day - lookback : day]))
                except ValueError as exc:
                    raise BacktestError(f"allocation failed on {dates[day]}: {exc}") from exc
        for k, allocated in enumerate(results, start=first):
            if isinstance(allocated, tuple):
                allocated, covariances[k] = allocated
            weights[k] = allocated
        if progress is not None:
            progress((first + len(chunk)) / rows.size)
    return TargetPath(rows, weights, tuple(covariances))
