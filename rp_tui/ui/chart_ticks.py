"""Axis ticks for the terminal charts: round numbers (linear and log), regular years.

Pure functions (no plotext): :mod:`rp_tui.ui.plots` passes their values and labels to
plotext, which would otherwise label an axis with raw numbers (``246660.5``) or put date
ticks wherever its spacing falls (2015, 2017, 2018, 2020).
"""

from __future__ import annotations

import math

import numpy as np

_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)
_LOG_MANTISSAS = ((1.0,), (1.0, 3.0), (1.0, 2.0, 5.0), (1.0, 1.5, 2.0, 3.0, 5.0, 7.0))


def linear_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round values (1, 2, 2.5, 5 × 10^k apart) inside ``[low, high]``, about ``count``."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [float(low)] if math.isfinite(low) else []
    power = 10.0 ** math.floor(math.log10((high - low) / max(count - 1, 1)))
    candidates = [
        _spaced(low, high, s * p) for p in (power / 10, power, power * 10) for s in _STEPS
    ]
    return min(candidates, key=lambda ticks: (len(ticks) < 2, abs(len(ticks) - count)))


def _spaced(low: float, high: float, step: float) -> list[float]:
    first = math.ceil(low / step - 1e-9) * step
    ticks = [first + i * step for i in range(int((high - first) / step + 1e-9) + 1)]
    return [round(t, 12) + 0.0 for t in ticks]  # no -0.0, no float noise


def log_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round values for a log axis over ``[low, high]`` (both > 0): powers of ten and, as
    room allows, 2 and 5 (or 1.5, 3, 7) times them; at least two when the range allows."""
    if not (low > 0 and math.isfinite(high)) or high <= low:
        return [float(low)] if low > 0 else []
    best: list[float] = []
    for mantissas in _LOG_MANTISSAS:
        ticks = [
            m * 10.0**power
            for power in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
            for m in mantissas
            if low <= m * 10.0**power <= high
        ]
        if len(ticks) > count and len(best) >= 2:
            break
        best = ticks
        if len(ticks) >= count - 1:
            break
    return best if len(best) >= 2 else linear_ticks(low, high, count)


def compact(value: float) -> str:
    """An axis label: ``95k``, ``150k``, ``1.25M``, ``0.5``; the same on linear and log axes."""
    size = abs(value)
    if size >= 1e9:
        return f"{value / 1e9:.3g}B"
    if size >= 1e6:
        return f"{value / 1e6:.3g}M"
    if size >= 1e3:
        return f"{value / 1e3:.3g}k"
    return f"{value:.3g}"


def percent(value: float) -> str:
    """A fraction as an axis label: ``0.25`` -> ``25%``, ``0.025`` -> ``2.5%``."""
    return f"{round(value * 100, 6):g}%"


def date_ticks(dates: np.ndarray, count: int = 6) -> list[tuple[str, str]]:
    """``(ISO date, label)`` ticks for a date axis: the first of January of regularly spaced
    years (every year, or every 2nd, 5th ... so that at most ``count`` show), or, over less
    than two years, evenly spaced dates labelled ``YYYY-MM``."""
    days = np.asarray(dates, dtype="datetime64[D]")
    if not len(days):
        return []
    first, last = days.min(), days.max()
    y0 = int(str(first.astype("datetime64[Y]"))) + (0 if str(first).endswith("-01-01") else 1)
    y1 = int(str(last.astype("datetime64[Y]")))
    years = list(range(y0, y1 + 1))
    if len(years) >= 2:
        step = next(s for s in (1, 2, 3, 4, 5, 10, 20, 25, 50, 100) if len(years) / s <= count)
        return [(f"{y}-01-01", str(y)) for y in years if y % step == 0]
    span = (last - first).astype(int)
    picks = np.unique(first + np.linspace(0, span, max(count, 2)).astype(int))
    return [(str(d), str(d)[:7]) for d in picks]
