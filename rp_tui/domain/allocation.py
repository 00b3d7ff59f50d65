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

import math

import numpy as np

try:  # the gufuncs behind np.linalg.cholesky and np.linalg.solve (a vector right-hand side:
    # LAPACK dpotrf, dgesv) called directly: the same arithmetic without the wrappers' checks,
    # which cost as much as the 20 x 20 factorisations (scipy.linalg.lapack, as fast, takes
    # 0.3 s to import: a short backtest's whole budget)
    from numpy.linalg._umath_linalg import cholesky_lo as _cholesky
    from numpy.linalg._umath_linalg import solve1 as _solve1
except ImportError:  # pragma: no cover - a numpy without them: the public wrappers, same numbers
    _cholesky, _solve1 = np.linalg.cholesky, np.linalg.solve

# the reductions behind ndarray.sum/min/max, without the method's Python frame (same results)
_sum, _min, _max = np.add.reduce, np.minimum.reduce, np.maximum.reduce
_MAX_NEWTON_STEPS = 100
_RESIDUAL_TOL = 1e-10  # relative error of each risk contribution against its budget
_ROUNDING_DECREMENT = 1e-20  # Newton decrement² at which f cannot improve in double precision
# Below this decrement², a full Newton step at least quarters it (quadratic convergence); one
# that does not has hit rounding, whose floor grows with cond(C): two anticorrelated assets
# (ρ = −0.9999998) settle at 4e-20, and alternated between two points to the step limit
_QUADRATIC_DECREMENT = 1e-14


class AllocationError(ValueError):
    """The covariance cannot give weights (a non-positive variance, NaN, or no convergence).

    ``asset`` is the column index of the offending asset where one is to blame, else ``None``.
    """

    def __init__(self, message: str, asset: int | None = None):
        super().__init__(message)
        self.asset = asset


def _volatilities(cov: np.ndarray) -> np.ndarray:
    variances = cov.diagonal()
    if math.isfinite(_sum(cov, axis=None)) and _min(variances) > 0.0:  # usual: two reductions
        return np.sqrt(variances)
    if not np.all(np.isfinite(cov)):
        raise AllocationError("covariance contains NaN or infinite values")
    flat = int(np.argmax(variances <= 0.0))
    raise AllocationError(f"asset {flat} has zero variance over the lookback", asset=flat)


def _positive_definite(a: np.ndarray) -> bool:
    """True when the symmetric ``a`` ``(n, n)`` has a Cholesky factor (LAPACK dpotrf)."""
    with np.errstate(invalid="ignore"):  # the gufunc's way of saying "not definite"
        try:
            factor = _cholesky(a)
        except np.linalg.LinAlgError:  # the public wrapper's way
            return False
    return not math.isnan(factor[0, 0])  # a failed factorisation is all NaN


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


def erc_weights(cov: np.ndarray, budgets: np.ndarray | None = None) -> np.ndarray:
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

    Returns:
        Weights, shape ``(n_assets,)``, all > 0, summing to 1.

    Raises:
        AllocationError: zero/non-finite variance, a non-positive budget, or no convergence
            (a covariance that is not positive definite).
    """
    cov = np.asarray(cov, dtype=float)
    n = cov.shape[0]
    vol = _volatilities(cov)
    corr = cov / (vol[:, None] * vol)  # np.outer's product, without its wrapper
    if not _positive_definite(corr):  # Newton would still "converge" on an indefinite matrix
        raise AllocationError("covariance is not positive definite (too few returns?)")
    if budgets is None:
        b = np.full(n, 1.0 / n)
    else:
        b = np.asarray(budgets, dtype=float)
        if b.shape != (n,) or not _min(b) > 0:  # (also false for NaN)
            raise AllocationError("risk budgets must be positive, one per asset")
        b = b / _sum(b)

    # erc_weights_many takes these steps for many covariances at once, bit for bit: change
    # one, change the other (tests/domain/test_allocate_many.py holds them equal)
    rows = _sum(corr, axis=1)  # one Jacobi step from equal weights, x_i ∝ sqrt(b_i / (C·1)_i)
    x = np.sqrt(b / rows) if _min(rows) > 0 else np.ones(n)
    x /= math.sqrt(x @ corr @ x)  # on the scale of the solution, where x'Cx = Σb = 1
    contributions = x * (corr @ x)
    if _min(contributions) > 0.0:  # a multiplicative step towards x_i (Cx)_i = b_i: cheap
        x *= np.sqrt(b / contributions)
    hessian = corr.copy()  # C + diag(b / x²): only its diagonal changes between steps
    hessian_diag = hessian.reshape(-1)[:: n + 1]  # a view: writes land on the diagonal
    corr_diag = corr.diagonal().copy()
    previous = math.inf  # the last step's decrement²
    for _ in range(_MAX_NEWTON_STEPS):
        cx = corr @ x
        # converged: no solve needed. Not tested after a damped step (λ² ≥ 1/16), whose
        # residual is of order 1, not 1e-10 (a third of the tests of a typical solve)
        if not 0.0625 <= previous < math.inf and _max(np.abs(x * cx / b - 1.0)) <= _RESIDUAL_TOL:
            w = x / vol
            return w / _sum(w)
        b_over_x = b / x
        gradient = cx - b_over_x
        np.add(corr_diag, b_over_x / x, out=hessian_diag)
        step = _solve1(hessian, gradient)
        decrement_sq = float(gradient @ step)
        if not math.isfinite(decrement_sq):  # a singular Hessian (as dposv's info != 0 was)
            raise AllocationError("covariance is not positive definite")
        if decrement_sq < _ROUNDING_DECREMENT or (  # converged as far as double precision goes
            decrement_sq < _QUADRATIC_DECREMENT and decrement_sq > 0.25 * previous
        ):
            w = (x - step) / vol
            return w / _sum(w)
        previous = decrement_sq
        if decrement_sq < 0.0625:  # a full step (x − 1·step is x − step)
            t, x_next = 1.0, x - step
        else:
            t = 1.0 / (1.0 + math.sqrt(decrement_sq))
            x_next = x - t * step
        while _min(x_next) <= 0.0:  # stay inside the domain of ln y
            t *= 0.5
            x_next = x - t * step
        x = x_next
    raise AllocationError("ERC did not converge: is the covariance positive definite?")


def _rows_times(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``a[i] @ x[i]`` for each i: ``(k, n, n)`` by ``(k, n)``, as one matmul call (per item
    the same BLAS product as the single case's ``a @ x``)."""
    return np.matmul(a, x[..., None])[..., 0]


def _dots(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``u[i] @ v[i]`` for each i, ``(k,)`` (per item the single case's dot product)."""
    return np.matmul(u[:, None, :], v[..., None])[:, 0, 0]


def erc_weights_many(cov: np.ndarray, budgets: np.ndarray | None = None) -> np.ndarray:
    """:func:`erc_weights` of many covariances at once, bit for bit.

    Every problem takes the single call's steps on its own numbers; only the Python work is
    shared (one numpy call per step for all the problems still iterating), which is what a
    backtest's hundreds of 20 x 20 solves mostly cost.

    Args:
        cov: ``(k, n_assets, n_assets)`` covariances.
        budgets: ``(n_assets,)`` risk budgets for all, or ``None`` (equal risk).

    Returns:
        ``(k, n_assets)`` weights; row i is ``erc_weights(cov[i], budgets)``.

    Raises:
        AllocationError: as :func:`erc_weights` for the first covariance that fails (its
            ``index`` attribute is that row).
    """
    cov = np.asarray(cov, dtype=float)
    k, n, _ = cov.shape
    variances = np.diagonal(cov, axis1=1, axis2=2)
    bad = ~(np.isfinite(_sum(cov, axis=(1, 2))) & (_min(variances, axis=1) > 0.0))
    vol = np.sqrt(np.where(bad[:, None], 1.0, variances))
    corr = cov / (vol[:, :, None] * vol[:, None, :])
    with np.errstate(invalid="ignore"):
        factor = _cholesky(np.where(bad[:, None, None], np.eye(n), corr))
    bad |= np.isnan(factor[:, 0, 0])
    if budgets is None:
        b = np.full(n, 1.0 / n)
    else:
        b = np.asarray(budgets, dtype=float)
        if b.shape != (n,) or not _min(b) > 0:
            raise AllocationError("risk budgets must be positive, one per asset")
        b = b / _sum(b)
    b = np.broadcast_to(b, (k, n))
    rows = corr.sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        x = np.where((rows > 0).all(axis=1)[:, None], np.sqrt(b / rows), 1.0)
        x = x / np.sqrt(_dots(np.matmul(x[:, None, :], corr)[:, 0, :], x))[:, None]
        contributions = x * _rows_times(corr, x)
        x = np.where(
            (_min(contributions, axis=1) > 0.0)[:, None], x * np.sqrt(b / contributions), x
        )
    weights = np.empty((k, n))
    previous = np.full(k, np.inf)
    active = np.flatnonzero(~bad)
    diagonal = np.arange(n)
    for _ in range(_MAX_NEWTON_STEPS):
        if active.size == 0:
            break
        c, xa, ba = corr[active], x[active], b[active]
        cx = _rows_times(c, xa)
        done = _max(np.abs(xa * cx / ba - 1.0), axis=1) <= _RESIDUAL_TOL
        done &= ~((previous[active] >= 0.0625) & (previous[active] < np.inf))  # (as above)
        if done.any():
            w = xa[done] / vol[active[done]]
            weights[active[done]] = w / _sum(w, axis=1)[:, None]
            going = ~done
            active, c, xa, ba, cx = active[going], c[going], xa[going], ba[going], cx[going]
            if active.size == 0:
                break
        b_over_x = ba / xa
        gradient = cx - b_over_x
        hessian = c.copy()
        hessian[:, diagonal, diagonal] += b_over_x / xa
        step = _solve1(hessian, gradient)
        decrement_sq = _dots(gradient, step)
        singular = ~np.isfinite(decrement_sq)
        if singular.any():
            bad[active[singular]] = True
        rounded = (decrement_sq < _ROUNDING_DECREMENT) | (
            (decrement_sq < _QUADRATIC_DECREMENT) & (decrement_sq > 0.25 * previous[active])
        )
        previous[active] = decrement_sq
        if rounded.any():
            w = (xa[rounded] - step[rounded]) / vol[active[rounded]]
            weights[active[rounded]] = w / _sum(w, axis=1)[:, None]
        full = decrement_sq < 0.0625
        with np.errstate(invalid="ignore"):
            t = np.where(full, 1.0, 1.0 / (1.0 + np.sqrt(decrement_sq)))
        x_next = np.where(full[:, None], xa - step, xa - t[:, None] * step)
        outside = (_min(x_next, axis=1) <= 0.0) & ~singular & ~rounded
        while outside.any():  # stay inside the domain of ln y
            t[outside] *= 0.5
            x_next[outside] = xa[outside] - t[outside, None] * step[outside]
            outside &= _min(x_next, axis=1) <= 0.0
        x[active] = x_next
        active = active[~(singular | rounded)]
    bad[active] = True  # still iterating after the last step: no convergence
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        try:  # the single call raises the error of this row, named as it names it
            erc_weights(cov[first], budgets)
        except AllocationError as exc:
            exc.index = first
            raise
        raise AllocationError(f"row {first}: ERC did not converge")  # pragma: no cover
    return weights
