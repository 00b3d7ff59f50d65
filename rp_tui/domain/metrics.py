"""Performance statistics of a daily equity curve (risk-free rate 0, 252 trading days a year)."""

from __future__ import annotations

import numpy as np

TRADING_DAYS = 252


def performance_stats(dates: np.ndarray, equity: np.ndarray) -> dict[str, float]:
    """CAGR, volatility, Sharpe, Sortino, max drawdown and Calmar of an equity curve.

    Args:
        dates: ``datetime64[D]`` trading dates, shape ``(n_days,)``, increasing.
        equity: portfolio value on those dates, shape ``(n_days,)``, > 0.

    Returns:
        Fractions, not percent: ``cagr`` (over calendar years of 365.25 days),
        ``volatility`` (annualised std of daily simple returns, √252), ``sharpe`` (rf = 0),
        ``sortino`` (annualised mean over downside deviation, target 0), ``max_drawdown``
        (largest peak-to-trough loss, a positive fraction) and ``calmar`` (cagr / max
        drawdown). Ratios are NaN where their denominator is 0.
    """
    equity = np.asarray(equity, dtype=float)
    returns = equity[1:] / equity[:-1] - 1.0
    years = (dates[-1] - dates[0]).astype("timedelta64[D]").astype(float) / 365.25
    cagr = (equity[-1] / equity[0]) ** (1.0 / years) - 1.0 if years > 0 else np.nan
    mean = returns.mean() if returns.size else np.nan
    std = returns.std(ddof=1) if returns.size > 1 else np.nan
    downside = np.sqrt(np.mean(np.minimum(returns, 0.0) ** 2)) if returns.size else np.nan
    drawdown = 1.0 - equity / np.maximum.accumulate(equity)
    max_dd = float(drawdown.max())

    def ratio(a: float, b: float) -> float:
        return float(a / b) if b and np.isfinite(b) else float("nan")

    return {
        "cagr": float(cagr),
        "volatility": float(std * np.sqrt(TRADING_DAYS)),
        "sharpe": ratio(mean * np.sqrt(TRADING_DAYS), std),
        "sortino": ratio(mean * np.sqrt(TRADING_DAYS), downside),
        "max_drawdown": max_dd,
        "calmar": ratio(cagr, max_dd),
    }


def drawdown(equity: np.ndarray) -> np.ndarray:
    """Drawdown from the running peak, shape ``(n_days,)``, fractions ≤ 0."""
    equity = np.asarray(equity, dtype=float)
    return equity / np.maximum.accumulate(equity) - 1.0


def period_returns(dates: np.ndarray, growth: np.ndarray, unit: str = "M"):
    """Compounded return of each calendar month (``unit="M"``) or year (``"Y"``).

    Args:
        dates: ``datetime64[D]``, ``(n_days,)``; growth: time-weighted value, ``(n_days,)``.

    Returns:
        ``(periods, returns)``: ``datetime64[M]`` or ``[Y]`` labels and fractions, each
        ``(n_periods,)``. The first period runs from the first date (a partial period),
        and is left out when that date is its only one.
    """
    keys = np.asarray(dates, dtype="datetime64[D]").astype(f"datetime64[{unit}]")
    last = np.flatnonzero(np.append(keys[1:] != keys[:-1], True))
    closes = np.asarray(growth, dtype=float)[last]
    previous = np.concatenate(([growth[0]], closes[:-1]))
    keep = slice(1, None) if last[0] == 0 else slice(None)  # a one-day first period: no return
    return keys[last][keep], (closes / previous - 1.0)[keep]


def monthly_return_table(dates: np.ndarray, growth: np.ndarray):
    """Monthly returns laid out for a heatmap.

    Returns:
        ``(years (n_years,) int, table (n_years, 12))`` of fractions, NaN where no data.
    """
    months, returns = period_returns(dates, growth, "M")
    month_numbers = months.astype(int)
    years = month_numbers // 12 + 1970
    first = years.min()
    table = np.full((years.max() - first + 1, 12), np.nan)
    table[years - first, month_numbers % 12] = returns
    return np.arange(first, years.max() + 1), table


def rolling_volatility(growth: np.ndarray, window: int = 63) -> np.ndarray:
    """Annualised volatility of daily returns over a trailing ``window``; NaN until full."""
    growth = np.asarray(growth, dtype=float)
    daily = growth[1:] / growth[:-1] - 1.0
    out = np.full(len(growth), np.nan)
    if len(daily) >= window:
        windows = np.lib.stride_tricks.sliding_window_view(daily, window)
        out[window:] = windows.std(axis=1, ddof=1) * np.sqrt(TRADING_DAYS)
    return out


def monthly_stats(dates: np.ndarray, growth: np.ndarray) -> dict[str, float]:
    """Best and worst month and the share of positive months (fractions)."""
    _, returns = period_returns(dates, growth, "M")
    return {
        "best_month": float(returns.max()),
        "worst_month": float(returns.min()),
        "positive_months": float((returns > 0).mean()),
    }
