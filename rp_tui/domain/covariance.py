"""Covariance estimators of daily returns: sample, EWMA and Ledoit-Wolf shrinkage.

Sources: RiskMetrics Technical Document (J.P. Morgan/Reuters 1996) for EWMA; O. Ledoit and
M. Wolf (2004), "A well-conditioned estimator for large-dimensional covariance matrices",
Journal of Multivariate Analysis 88(2), for shrinkage towards a scaled identity.
"""

from __future__ import annotations

import numpy as np

from rp_tui.domain.names import ESTIMATORS
from rp_tui.domain.returns import sample_covariance


def ewma_covariance(returns: np.ndarray, half_life: float) -> np.ndarray:
    """Exponentially weighted covariance; the newest day weighs most.

    Args:
        returns: daily returns, shape ``(n_obs, n_assets)``, oldest first.
        half_life: days after which a return's weight halves (> 0).

    Returns:
        ``(n_assets, n_assets)``, (fraction/day)²; weights normalised to sum to 1, around
        the weighted mean.

    Raises:
        ValueError: a non-positive half-life or fewer than two observations.
    """
    returns = np.asarray(returns, dtype=float)
    if not half_life > 0:
        raise ValueError(f"half_life must be > 0 days, got {half_life}")
    if returns.shape[0] < 2:
        raise ValueError("need at least 2 returns for a covariance")
    ages = np.arange(returns.shape[0] - 1, -1, -1, dtype=float)
    weights = 0.5 ** (ages / half_life)
    weights /= weights.sum()
    centred = returns - weights @ returns
    return (centred * weights[:, None]).T @ centred / (1.0 - weights @ weights)


def ledoit_wolf_covariance(returns: np.ndarray) -> tuple[np.ndarray, float]:
    """Ledoit-Wolf (2004) shrinkage of the sample covariance towards ``μ·I``.

    Args:
        returns: daily returns, shape ``(n_obs, n_assets)``.

    Returns:
        ``(covariance (n_assets, n_assets), shrinkage in [0, 1])``. Like scikit-learn's
        ``ledoit_wolf`` it uses the maximum-likelihood sample covariance (``ddof=0``).
    """
    x = np.asarray(returns, dtype=float)
    n = x.shape[0]
    x = x - x.mean(axis=0)
    s = x.T @ x / n
    mu = np.trace(s) / s.shape[0]
    delta = np.sum((s - mu * np.eye(s.shape[0])) ** 2)
    x2 = x * x
    beta = min(delta, np.sum(x2.T @ x2 / n - s * s) / n)
    shrinkage = beta / delta if delta > 0 else 0.0
    return shrinkage * mu * np.eye(s.shape[0]) + (1.0 - shrinkage) * s, float(shrinkage)


def estimate_covariance(returns: np.ndarray, estimator: str, half_life: float = 63.0):
    """Dispatch on ``estimator`` (one of :data:`ESTIMATORS`); ``(n_assets, n_assets)``.

    Raises:
        ValueError: an unknown estimator.
    """
    if estimator == "sample":
        return sample_covariance(returns)
    if estimator == "ewma":
        return ewma_covariance(returns, half_life)
    if estimator == "ledoit-wolf":
        return ledoit_wolf_covariance(returns)[0]
    raise ValueError(f"unknown covariance estimator {estimator!r}; choose {', '.join(ESTIMATORS)}")


def semi_covariance(returns: np.ndarray, threshold: float = 0.0) -> np.ndarray:
    """Downside (semi-)covariance: ``E[min(r_i − τ, 0)·min(r_j − τ, 0)]`` over the window.

    Args:
        returns: daily returns ``(n_obs, n_assets)``; threshold: τ, a daily return.

    Returns:
        ``(n_assets, n_assets)`` (Estrada 2008, "Mean-semivariance optimization: a heuristic
        approach", Journal of Applied Finance), divided by ``n_obs - 1``.
    """
    downside = np.minimum(np.asarray(returns, dtype=float) - threshold, 0.0)
    return downside.T @ downside / (downside.shape[0] - 1)
