"""Drift cost: what holding off-target weights costs a mean-variance investor, in money.

Kritzman, Myrgren & Page (2009), "Optimal rebalancing: a scalable solution", Journal of
Investment Management 7(1), measure the cost of sub-optimality as the certainty-equivalent
loss of holding weights ``w`` instead of the targets ``w*``:

    cost = ½ · λ · (w − w*)' Σ (w − w*)   per year, a fraction of NAV,

with Σ the annualised covariance of the assets and λ the investor's risk aversion (cash has
no variance, so only the assets enter). rp-tui charges it over one year, in base currency
(× NAV): a trade is worth its commission only if it removes more drift cost than that.
"""

from __future__ import annotations

import numpy as np

from rp_tui.domain.metrics import TRADING_DAYS


def drift_cost(
    drift: np.ndarray, covariance: np.ndarray, risk_aversion: float, nav: float
) -> float:
    """One year's certainty-equivalent loss of ``drift`` = w − w*, base currency.

    Args:
        drift: ``(n_assets,)`` weight minus target, fractions of NAV.
        covariance: ``(n_assets, n_assets)`` covariance of *daily* returns (annualised here
            by 252 trading days).
        risk_aversion: λ > 0 (the mean-variance method's ``risk_aversion``; 2-10 is usual).
        nav: NAV, base currency.
    """
    return 0.5 * risk_aversion * TRADING_DAYS * float(drift @ covariance @ drift) * nav


def drift_cost_removed(
    drift: np.ndarray,
    trade_weights: np.ndarray,
    covariance: np.ndarray,
    risk_aversion: float,
    nav: float,
) -> np.ndarray:
    """Drift cost each trade removes on its own (the others' held fixed), base currency.

    Args:
        drift: ``(n_assets,)`` weight minus target before trading, fractions of NAV.
        trade_weights: ``(n_assets,)`` signed value of each trade, fractions of NAV.
        covariance, risk_aversion, nav: as in :func:`drift_cost`.

    Returns:
        ``(n_assets,)``: cost(drift) − cost(drift with asset i's trade made), ≥ 0 for a trade
        towards target; 0 where there is no trade.
    """
    sigma = covariance * TRADING_DAYS
    marginal = sigma @ drift  # ∂(d'Σd)/∂d_i / 2
    t = np.asarray(trade_weights, dtype=float)
    # d'Σd − (d + t_i e_i)'Σ(d + t_i e_i) = −2 t_i (Σd)_i − t_i² Σ_ii
    removed = -2.0 * t * marginal - t * t * np.diag(sigma)
    return 0.5 * risk_aversion * removed * nav
