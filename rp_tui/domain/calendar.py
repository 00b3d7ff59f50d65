"""Rebalance dates: the last trading day of each week, month or quarter in a date index."""

from __future__ import annotations

import numpy as np

FREQUENCIES: tuple[str, ...] = ("weekly", "monthly", "quarterly")


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


def period_end_indices(dates: np.ndarray, frequency: str) -> np.ndarray:
    """Indices of the last date of each period present in ``dates``.

    The final period counts only if it is complete: the next weekday after the last date
    falls in a new period (the price file alone cannot say whether a later trading day of
    the same period exists, so this stays conservative).

    Args:
        dates: ``datetime64[D]`` trading dates, shape ``(n_days,)``, increasing.
        frequency: ``"weekly"``, ``"monthly"`` or ``"quarterly"``.

    Returns:
        Increasing ``int`` indices into ``dates``.

    Raises:
        ValueError: an unknown frequency.
    """
    dates = np.asarray(dates, dtype="datetime64[D]")
    keys = _period_keys(dates, frequency)
    ends = np.flatnonzero(np.diff(keys) != 0)
    next_weekday = np.busday_offset(dates[-1], 1, roll="forward")
    if _period_keys(np.array([next_weekday]), frequency)[0] != keys[-1]:
        ends = np.append(ends, len(dates) - 1)
    return ends
