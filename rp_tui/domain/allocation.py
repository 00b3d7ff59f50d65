"""Risk-parity allocation: equal risk contribution (ERC) and inverse volatility.

Sources:
- S. Maillard, T. Roncalli, J. Teiletche (2010), "The Properties of Equally Weighted Risk
  Contribution Portfolios", Journal of Portfolio Management 36(4).
- F. Spinu (2013), "An Algorithm for Computing Risk Parity Weights", SSRN 2297383: ERC as the
  unique minimiser of the strictly convex ``f(y) = ½ y'Σy - Σ b_i ln y_i``, solved by Newton.
- B. Griveau-Billion, J.-C. Richard, T. Roncalli (2013), "A Fast Algorithm for Computing
  High-Dimensional Risk Parity Portfolios", SSRN 2325255 (the same optimality condition).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg.lapack import dposv, dpotrf

_MAX_NEWTON_STEPS = 100
_RESIDUAL_TOL = 1e-10  # relative error of each risk contribution against its budget
_ROUNDING_DECREMENT = 1e-20  # Newton decrement² at which f cannot improve in double precision


class AllocationError(ValueError):
    """The covariance cannot give weights (a non-positive variance, NaN, or no convergence).

    ``asset`` is the column index of the offending asset where one is to blame, else ``None``.
    """

    def __init__(self, message: str, asset: int | None = None):
        super().__init__(message)
        self.asset = asset


def _volatilities(cov: np.ndarray) -> np.ndarray:
    variances = cov.diagonal()
    if np.isfinite(cov.sum()) and variances.min() > 0.0:  # the usual case: two reductions
        return np.sqrt(variances)
    if not np.all(np.isfinite(cov)):
        raise AllocationError("covariance contains NaN or infinite values")
    flat = int(np.argmax(variances <= 0.0))
    raise AllocationError(f"asset {flat} has zero variance over the lookback", asset=flat)


def risk_contributions(weights: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Each asset's share of portfolio variance, ``w_i (Σw)_i / w'Σw``.

    Args:
        weights: shape ``(n_assets,)``, fractions.
        cov: shape ``(n_assets, n_assets)``.

    Returns:
        Shape ``(n_assets,)``, fractions summing to 1 (for a non-zero portfolio variance).
    """
    weights = np.asarray(weights, dtype=float)
    marginal = cov @ weights
    return weights * marginal / (weights @ marginal)


def inverse_vol_weights(cov: np.ndarray) -> np.ndarray:
    """Weights proportional to ``1 / σ_i``: risk parity that ignores correlations.

    Args:
        cov: covariance, shape ``(n_assets, n_assets)``.

    Returns:
        Long-only weights, shape ``(n_assets,)``, summing to 1.

    Raises:
        AllocationError: a zero or non-finite variance.
    """
    inv = 1.0 / _volatilities(np.asarray(cov, dtype=float))
    return inv / inv.sum()


def erc_weights(
    cov: np.ndarray, budgets: np.ndarray | None = None, start: np.ndarray | None = None
) -> np.ndarray:
    """Long-only, fully invested weights whose risk contributions equal ``budgets``.

    Newton's method on Spinu's convex problem over the correlation matrix (scaling by the
    volatilities makes the Hessian well conditioned); steps are damped by the Newton
    decrement and kept inside ``y > 0``. Converges when every risk contribution is within
    1e-10 relative of its budget (in practice ~1e-15), typically in 4-7 steps, or, for a
    nearly singular correlation matrix where rounding in ``(Cy)_i`` keeps the contributions
    from that (≈ cond(C)·1e-16), when the squared Newton decrement falls below 1e-20: the
    objective can no longer improve in double precision.

    Args:
        cov: covariance, shape ``(n_assets, n_assets)``, symmetric positive definite.
        budgets: risk budgets, shape ``(n_assets,)``, positive; normalised to sum to 1.
            ``None`` means equal risk contribution.
        start: weights to start from, ``(n_assets,)``, all > 0 (e.g. the previous
            rebalance's: overlapping windows then need one or two Newton steps).

    Returns:
        Weights, shape ``(n_assets,)``, all > 0, summing to 1.

    Raises:
        AllocationError: zero/non-finite variance, a non-positive budget, or no convergence
            (a covariance that is not positive definite).
    """
    cov = np.asarray(cov, dtype=float)
    n = cov.shape[0]
    vol = _volatilities(cov)
    corr = cov / np.outer(vol, vol)
    if dpotrf(corr)[1] != 0:  # Newton would still "converge" on an indefinite matrix
        raise AllocationError("covariance is not positive definite (too few returns?)")
    if budgets is None:
        b = np.full(n, 1.0 / n)
    else:
        b = np.asarray(budgets, dtype=float)
        if b.shape != (n,) or not np.all(b > 0):
            raise AllocationError("risk budgets must be positive, one per asset")
        b = b / b.sum()

    if start is not None and np.all(np.asarray(start) > 0):
        x = np.asarray(start, dtype=float) * vol
        x /= np.sqrt(x @ corr @ x)  # on the scale of the solution, where x'Cx = Σb = 1
    else:  # one Jacobi step from equal weights, x_i ∝ sqrt(b_i / (C·1)_i): a step closer
        rows = corr.sum(axis=1)
        x = np.sqrt(b / rows) if np.all(rows > 0) else np.ones(n)
        x /= np.sqrt(x @ corr @ x)
    contributions = x * (corr @ x)
    if contributions.min() > 0.0:  # a multiplicative step towards x_i (Cx)_i = b_i: cheap,
        x *= np.sqrt(b / contributions)  # and worth most of a Newton step from a warm start
    hessian = np.empty((n, n))
    hessian_diag = hessian.reshape(-1)[:: n + 1]  # a view: writes land on the diagonal
    for _ in range(_MAX_NEWTON_STEPS):
        cx = corr @ x
        if np.abs(x * cx / b - 1.0).max() <= _RESIDUAL_TOL:  # converged: no solve needed
            w = x / vol
            return w / w.sum()
        b_over_x = b / x
        gradient = cx - b_over_x
        np.copyto(hessian, corr)
        hessian_diag += b_over_x / x
        _, step, info = dposv(hessian, gradient)
        if info != 0:
            raise AllocationError("covariance is not positive definite")
        decrement_sq = gradient @ step
        if decrement_sq < _ROUNDING_DECREMENT:  # converged as far as double precision goes
            w = (x - step) / vol
            return w / w.sum()
        t = 1.0 if decrement_sq < 0.0625 else 1.0 / (1.0 + np.sqrt(decrement_sq))
        x_next = x - t * step
        while x_next.min() <= 0.0:  # stay inside the domain of ln y
            t *= 0.5
            x_next = x - t * step
        x = x_next
    raise AllocationError("ERC did not converge: is the covariance positive definite?")
