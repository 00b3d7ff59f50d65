"""Outlier handling for the covariance window: off by default, winsorising or MAD clipping.

A single bad print (a split the data vendor missed, a flash crash) can dominate a 252-day
sample covariance. Two standard robust treatments, applied to each asset's column of daily
returns before the covariance is estimated:

- ``winsorize``: values below the ``level`` quantile or above the ``1 − level`` quantile
  are set to those quantiles (winsorisation: Dixon 1960, "Simplified estimation from
  censored normal samples", Ann. Math. Statist. 31).
- ``mad``: values further than ``level`` robust standard deviations from the median are
  clipped there, the robust standard deviation being 1.4826 × the median absolute deviation
  (consistent for normal data: Hampel 1974, "The influence curve and its role in robust
  estimation", JASA 69; Rousseeuw & Croux 1993, JASA 88).
"""

from __future__ import annotations

import numpy as np

from rp_tui.domain.names import OUTLIER_METHODS

MAD_TO_SIGMA = 1.4826  # 1 / Φ⁻¹(3/4): MAD → standard deviation for normal data


def winsorize(returns: np.ndarray, level: float) -> np.ndarray:
    """Clip each column of ``returns`` ``(n_days, n_assets)`` to its [level, 1 − level]
    quantiles (``level`` a fraction in (0, 0.5), e.g. 0.01); returns a new array.

    Raises:
        ValueError: ``level`` outside (0, 0.5).
    """
    if not 0.0 < level < 0.5:
        raise ValueError(f"winsorising level is a fraction in (0, 0.5), got {level}")
    low, high = np.quantile(returns, [level, 1.0 - level], axis=0)
    return np.clip(returns, low, high)


def clip_mad(returns: np.ndarray, k: float) -> np.ndarray:
    """Clip each column of ``returns`` ``(n_days, n_assets)`` to median ± ``k`` × 1.4826 ×
    MAD (``k`` robust standard deviations, e.g. 5); a column with MAD 0 is left as is.

    Raises:
        ValueError: ``k`` ≤ 0.
    """
    if not k > 0:
        raise ValueError(f"MAD clipping needs k > 0 robust standard deviations, got {k}")
    median = np.median(returns, axis=0)
    spread = MAD_TO_SIGMA * np.median(np.abs(returns - median), axis=0)
    reach = np.where(spread > 0, k * spread, np.inf)
    return np.clip(returns, median - reach, median + reach)


def sanitize(returns: np.ndarray, method: str, level: float) -> np.ndarray:
    """``returns`` ``(n_days, n_assets)`` after the chosen treatment (``off`` returns them
    unchanged); ``level`` is the quantile (winsorize) or ``k`` (mad).

    Raises:
        ValueError: an unknown method or a bad level.
    """
    if method == "off":
        return returns
    if method == "winsorize":
        return winsorize(returns, level)
    if method == "mad":
        return clip_mad(returns, level)
    raise ValueError(f"outlier method {method!r} is not one of {', '.join(OUTLIER_METHODS)}")
