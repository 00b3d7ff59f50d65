"""Rebalance dates: the last (or first) trading day of each week, month or quarter.

Trading days come from an exchange calendar's sessions when given (see
:mod:`rp_tui.inputs.trading_days`), so a price file with gaps cannot move a rebalance date; each
calendar rebalance day is then mapped onto the last price row on or before it.
"""

from __future__ import annotations

import numpy as np

from rp_tui.domain.names import FREQUENCIES

ANCHORS: tuple[str, ...] = ("last", "first")


def _period_keys(dates: np.ndarray, frequency: str) -> np.ndarray:
    days = dates.astype("datetime64[D]").astype(np.int64)
    if frequency == "weekly":
        return (days + 3) // 7  # 1970-01-01 was a Thursday: +3 makes weeks start on Monday
    months = dates.astype("datetime64[M]").astype(np.int64)
    if frequency == "monthly":
        return months
    if frequency == "quarterly":
        return months // 3
    raise ValueError(f"unknown rebalance frequency {frequency!r}; choose {', '.join(FREQUENCIES)}")


def period_end_indices(
    dates: np.ndarray,
    frequency: str,
    sessions: np.ndarray | None = None,
    anchor: str = "last",
) -> np.ndarray:
    """Indices into ``dates`` of each period's rebalance day.

    Without ``sessions`` the trading days are the dates themselves, and the final period
    counts only if the next weekday after the last date starts a new period. With
    ``sessions`` (an exchange calendar's trading days) a period counts only once its
    calendar day is on or before the last date.

    Args:
        dates: ``datetime64[D]`` price dates, shape ``(n_days,)``, increasing.
        frequency: ``"weekly"``, ``"monthly"`` or ``"quarterly"``.
        sessions: ``datetime64[D]`` exchange trading days covering ``dates``, or ``None``.
        anchor: ``"last"`` or ``"first"`` trading day of the period.

    Returns:
        Increasing, unique ``int`` indices into ``dates``.

    Raises:
        ValueError: an unknown frequency or anchor.
    """
    if anchor not in ANCHORS:
        raise ValueError(f"unknown anchor {anchor!r}; choose {', '.join(ANCHORS)}")
    dates = np.asarray(dates, dtype="datetime64[D]")
    if len(dates) == 0:
        return np.array([], dtype=int)
    days = dates if sessions is None else np.asarray(sessions, dtype="datetime64[D]")
    keys = _period_keys(days, frequency)
    changes = np.flatnonzero(np.diff(keys) != 0)
    if anchor == "first":  # a period whose first day precedes the data cannot be judged
        picked = days[changes + 1]
        picked = picked[(picked >= dates[0]) & (picked <= dates[-1])]
        rows = np.searchsorted(dates, picked, side="left")  # a missing day: the next row
        return np.unique(rows)
    picked = days[changes]
    if sessions is None:
        following = np.busday_offset(dates[-1], 1, roll="forward")
        if _period_keys(np.array([following]), frequency)[0] != keys[-1]:
            picked = np.append(picked, days[-1])
    elif days[-1] <= dates[-1]:
        picked = np.append(picked, days[-1])  # the calendar ends inside the price history
    picked = picked[(picked >= dates[0]) & (picked <= dates[-1])]
    rows = np.searchsorted(dates, picked, side="right") - 1  # a missing day: the row before
    return np.unique(rows[rows >= 0])
