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
