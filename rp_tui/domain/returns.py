"""Daily returns and the sample covariance used by every allocation method."""

from __future__ import annotations

import numpy as np


def simple_returns(prices: np.ndarray) -> np.ndarray:
    """Daily simple returns ``p_t / p_{t-1} - 1``.

    Args:
        prices: adjusted closes, shape ``(n_days, n_assets)``, all finite and > 0.

    Returns:
        Array of shape ``(n_days - 1, n_assets)``; row ``t - 1`` is the return of day ``t``.
    """
    prices = np.asarray(prices, dtype=float)
    return prices[1:] / prices[:-1] - 1.0


def sample_covariance(returns: np.ndarray) -> np.ndarray:
    """Unbiased sample covariance (``ddof=1``) of daily returns.

    Args:
        returns: shape ``(n_obs, n_assets)`` with ``n_obs >= 2``.

    Returns:
        Covariance of daily returns, shape ``(n_assets, n_assets)``, in (fraction/day)².

    Raises:
        ValueError: fewer than two observations.
    """
    returns = np.asarray(returns, dtype=float)
    if returns.shape[0] < 2:
        raise ValueError(f"need at least 2 returns for a covariance, got {returns.shape[0]}")
    centred = returns - np.add.reduce(returns, axis=0) / returns.shape[0]  # mean()'s, sooner
    return centred.T @ centred / (returns.shape[0] - 1)


def sample_covariances(windows: np.ndarray) -> np.ndarray:
    """:func:`sample_covariance` of each window, ``(k, n_obs, n_assets)`` →
    ``(k, n_assets, n_assets)``: the same numbers (numpy sums each window's columns and
    multiplies each window as it does one alone), in one product for all.

    Raises:
        ValueError: fewer than two observations.
    """
    windows = np.asarray(windows, dtype=float)
    n = windows.shape[1]
    if n < 2:
        raise ValueError(f"need at least 2 returns for a covariance, got {n}")
    centred = windows - np.add.reduce(windows, axis=1, keepdims=True) / n
    return np.matmul(centred.transpose(0, 2, 1), centred) / (n - 1)
