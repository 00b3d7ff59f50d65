"""Constrained allocations solved with scipy: min-variance, mean-variance, constrained risk
budgeting, and the projection of any weights onto the constraints.

All solve over long-only, fully invested weights ``(n_assets,)`` under
:class:`~rp_tui.domain.constraints.Constraints`, with SLSQP (Kraft 1988) and analytic
gradients, and verify the constraints to 1e-9 afterwards.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rp_tui.domain.allocation import AllocationError, risk_contributions
from rp_tui.domain.constraints import Constraints

_TOL = 1e-9


def _solve(
    objective: Callable[[np.ndarray], tuple[float, np.ndarray]],
    start: np.ndarray,
    constraints: Constraints,
) -> np.ndarray:
    from scipy.optimize import minimize

    constraints.check_feasible()
    linear = [{"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones_like(w)}]
    for g in constraints.groups:
        m = g.members.astype(float)
        linear.append(
            {"type": "ineq", "fun": lambda w, m=m, g=g: g.upper - m @ w, "jac": lambda w, m=m: -m}
        )
        linear.append(
            {"type": "ineq", "fun": lambda w, m=m, g=g: m @ w - g.lower, "jac": lambda w, m=m: m}
        )
    start = np.clip(start, constraints.lower, constraints.upper)
    result = minimize(
        objective,
        start,
        jac=True,
        method="SLSQP",
        constraints=linear,
        bounds=list(zip(constraints.lower, constraints.upper, strict=True)),
        options={"ftol": 1e-15, "maxiter": 500},
    )
    w = np.clip(result.x, constraints.lower, constraints.upper)
    if not constraints.satisfied(w, _TOL):
        raise AllocationError(f"the optimiser could not meet the constraints: {result.message}")
    return w


def min_variance_weights(cov: np.ndarray, constraints: Constraints) -> np.ndarray:
    """Minimum-variance weights, ``(n_assets,)``. Raises InfeasibleError / AllocationError."""
    cov = np.asarray(cov, dtype=float)
    scale = 1.0 / np.trace(cov)  # objective of order one: tolerances mean the same for any Σ

    def objective(w):
        sw = cov @ w * scale
        return w @ sw, 2.0 * sw

    n = cov.shape[0]
    return _solve(objective, np.full(n, 1.0 / n), constraints)


def mean_variance_weights(
    mu: np.ndarray, cov: np.ndarray, risk_aversion: float, constraints: Constraints
) -> np.ndarray:
    """Maximise ``μ'w − (λ/2)·w'Σw`` (Markowitz 1952) under the constraints.

    Args:
        mu: expected returns, ``(n_assets,)``; cov: ``(n_assets, n_assets)``; both in the
            same units (the callers annualise: μ × 252, Σ × 252).
        risk_aversion: λ > 0.
        constraints: bounds and groups.

    Raises:
        InfeasibleError, AllocationError.
    """
    mu, cov = np.asarray(mu, dtype=float), np.asarray(cov, dtype=float)
    if not risk_aversion > 0:
        raise AllocationError(f"risk_aversion must be > 0, got {risk_aversion}")

    def objective(w):
        sw = cov @ w
        return -(mu @ w) + 0.5 * risk_aversion * (w @ sw), -mu + risk_aversion * sw

    n = cov.shape[0]
    return _solve(objective, np.full(n, 1.0 / n), constraints)


def constrained_risk_budget_weights(
    cov: np.ndarray, budgets: np.ndarray, constraints: Constraints, start: np.ndarray
) -> np.ndarray:
    """Weights whose risk contributions come closest (least squares) to ``budgets`` while
    meeting the constraints (Maillard, Roncalli & Teiletche 2010, §3: when bounds bind, the
    budgets cannot all hold exactly)."""
    cov = np.asarray(cov, dtype=float)
    b = np.asarray(budgets, dtype=float) / np.sum(budgets)

    def objective(w):
        sw = cov @ w
        var = w @ sw
        rc = w * sw / var
        diff = rc - b
        # d rc_i / d w_j = (δ_ij sw_i + w_i Σ_ij) / var − rc_i · 2 sw_j / var
        jac = (np.diag(sw) + w[:, None] * cov) / var - np.outer(rc, 2.0 * sw / var)
        return diff @ diff * 1e4, 2e4 * diff @ jac

    return _solve(objective, start, constraints)


def project_weights(weights: np.ndarray, constraints: Constraints) -> np.ndarray:
    """The feasible weights nearest (Euclidean) to ``weights``; unchanged when feasible."""
    target = np.asarray(weights, dtype=float)
    if constraints.satisfied(target):
        return target

    def objective(w):
        d = w - target
        return d @ d, 2.0 * d

    return _solve(objective, target, constraints)


def risk_contribution_error(weights: np.ndarray, cov: np.ndarray, budgets: np.ndarray) -> float:
    """Largest relative gap between a risk contribution and its budget (a report figure)."""
    b = np.asarray(budgets) / np.sum(budgets)
    return float(np.max(np.abs(risk_contributions(weights, cov) / b - 1.0)))
