"""Constrained allocations: risk budgeting under bounds and groups, min-variance,
mean-variance, and the projection of any weights onto the constraints.

All work on long-only, fully invested weights ``(n_assets,)`` (fractions) under
:class:`~rp_tui.domain.constraints.Constraints`, and are solved by the barrier method of
:mod:`rp_tui.domain.barrier` (a strictly feasible start is built in closed form from the
bounds, or by a linear programme when there are groups), so every feasible set gives an
answer: the binding constraints hold exactly (polish) or the result is strictly inside them.
Quadratic programmes with a positive definite matrix (min-variance, mean-variance, the
projection with groups) are first solved by the active-set method of
:mod:`rp_tui.domain.active_set`, ~5× faster; the barrier solves what it cannot certify.
Weights are verified against the constraints to 1e-9 before they are returned.

Risk budgeting under constraints — what it means here. Unconstrained, the risk-budgeting
(RB) portfolio with budgets ``b`` (``b_i > 0``, ``Σ b = 1``) is the normalised minimiser of
Spinu's ``½ x'Σx − Σ b_i ln x_i`` over ``x > 0`` (Spinu 2013); equivalently the maximiser of
the scale-free ``Σ b_i ln w_i − ln σ(w)`` over fully invested ``w``. Under constraints this
module returns the maximiser of that same criterion over the feasible weights:

    w* = x* / 1'x*,   x* = argmin ½ x'Σx − Σ b_i ln x_i   over the cone  K = {t·w : t > 0, w ∈ W}

where ``W`` is the feasible set (bounds, groups, ``1'w = 1``) and ``K`` the homogeneous form
of its rows: ``lower_i·1'x ≤ x_i ≤ upper_i·1'x``, ``g_lo·1'x ≤ m'x ≤ g_hi·1'x``. This is the
log-barrier risk-budgeting problem with weight constraints of Richard & Roncalli (2019),
"Constrained Risk Budgeting Portfolios: Theory, Algorithms, Applications and Puzzles",
arXiv:1902.05710, with the constraints on the normalised weights as skfolio's
``RiskBudgeting`` states them (``min_weights·s ≤ w ≤ max_weights·s``, ``1'w = s``). It is
strictly convex, so it has exactly one solution for every feasible set (Richard & Roncalli's
other variant, bounds on the unnormalised ``x`` with ``λ`` tuned until ``1'x = 1``, has none
when, say, a large minimum on one asset leaves a negatively correlated asset with negative
marginal risk at every feasible point). When nothing binds it is the exact RB portfolio.
When constraints bind, the KKT conditions read, for an asset ``i`` at neither of its bounds
(``RC`` = share of variance): ``RC_i = b_i − ν·w_i`` with one ``ν`` for all such assets
(``ν > 0`` when minima bind: they carry less risk than budgeted; ``< 0`` when maxima bind:
more), plus, for members of a binding group, one more common multiple of ``w_i`` per group.
Risk contributions then differ from the budgets, and
:func:`~rp_tui.domain.strategy.allocate` reports ``exact=False``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rp_tui.domain import active_set, barrier
from rp_tui.domain.allocation import AllocationError, erc_weights, risk_contributions
from rp_tui.domain.constraints import Constraints, LinearRows

_TOL = 1e-9
_POINT = 1e-12  # a feasible set this narrow is one point


@dataclass(frozen=True)
class _Feasible:
    rows: LinearRows  # implicit equalities moved into E (their labels dropped)
    start: np.ndarray  # strictly inside every G row, on E
    point: bool  # the feasible set is (to 1e-12) the single point ``start``
    zero: np.ndarray  # (n,) bool: assets no feasible portfolio holds


def _feasible(constraints: Constraints) -> _Feasible:
    """The feasible set's rows and a strictly feasible start, found once per (frozen)
    :class:`Constraints` and kept on it, its arrays read-only: with groups it takes a linear
    programme (~2.4 ms, ~60 % of a backtest whose groups bind, one per rebalance before).

    Raises:
        InfeasibleError: the constraints conflict (named), every time it is asked.
    """
    found = constraints.__dict__.get("_feasible")
    if found is None:
        found = _find_feasible(constraints)
        for array in (*vars(found.rows).values(), found.start, found.zero):
            if isinstance(array, np.ndarray):
                array.setflags(write=False)  # shared by every solve: a write would leak
        object.__setattr__(constraints, "_feasible", found)
    return found


def _find_feasible(constraints: Constraints) -> _Feasible:
    constraints.check_feasible()
    rows = constraints.rows()
    lo, hi = constraints.lower, np.minimum(constraints.upper, 1.0)
    if not constraints.groups:  # closed form: lo + θ(hi − lo) with θ = (1 − Σlo)/(Σhi − Σlo)
        slack_lo, slack_hi = 1.0 - lo.sum(), hi.sum() - 1.0
        theta = slack_lo / (slack_lo + slack_hi) if slack_lo + slack_hi > 0 else 0.0
        start = lo + theta * (hi - lo)
        return _Feasible(rows, start, min(slack_lo, slack_hi) <= _POINT, hi <= 0.0)
    start, implicit = barrier.strictly_feasible(rows.G, rows.h, rows.E, rows.e)
    keep = ~implicit
    moved = LinearRows(
        rows.G[keep],
        rows.h[keep],
        np.vstack([rows.G[implicit], rows.E]),
        np.r_[rows.h[implicit], rows.e],
        tuple(label for label, k in zip(rows.labels, keep, strict=True) if k),
        tuple(label for label, i in zip(rows.labels, implicit, strict=True) if i)
        + rows.equality_labels,
    )
    single = np.count_nonzero(moved.E, axis=1) == 1
    zero = np.zeros(len(lo), bool)
    for row, value in zip(moved.E[single], moved.e[single], strict=True):
        zero[np.flatnonzero(row)] |= value == 0.0
    point = barrier.null_space(moved.E).shape[1] == 0  # the equalities fix every weight
    return _Feasible(moved, start, point, zero)


def _checked(w: np.ndarray, constraints: Constraints) -> np.ndarray:
    """``w`` after checking it against the constraints (1e-9), rounding dust clipped off."""
    if not constraints.satisfied(w, _TOL):
        raise AllocationError("the optimiser could not meet the constraints")
    return np.clip(w, constraints.lower, constraints.upper)


class _Quadratic:
    """``f(x) = ½ x'Qx + q'x``."""

    def __init__(self, q_matrix: np.ndarray, q: np.ndarray):
        self.q_matrix, self.q = q_matrix, q

    def value(self, x: np.ndarray) -> float:
        return float(0.5 * x @ self.q_matrix @ x + self.q @ x)

    def derivatives(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.q_matrix @ x + self.q, self.q_matrix


class _Spinu:
    """``f(z) = ½ z'Cz − Σ b_i ln z_i`` (Spinu 2013), ``+inf`` unless ``z > 0``."""

    def __init__(self, corr: np.ndarray, b: np.ndarray):
        self.corr, self.b = corr, b

    def value(self, z: np.ndarray) -> float:
        if np.minimum.reduce(z) <= 0.0:  # ndarray.min's answer without its wrapper
            return np.inf
        return float(0.5 * z @ self.corr @ z - self.b @ np.log(z))

    def derivatives(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b_over_z = self.b / z
        hessian = self.corr.copy()
        hessian.reshape(-1)[:: len(z) + 1] += b_over_z / z
        return self.corr @ z - b_over_z, hessian


def _quadratic_program(q_matrix: np.ndarray, q: np.ndarray, constraints: Constraints) -> np.ndarray:
    """``argmin ½ w'Qw + q'w`` over the constraints (objective scaled to order one)."""
    feasible = _feasible(constraints)
    if feasible.point:
        return _checked(feasible.start, constraints)
    scale = max(np.abs(q_matrix).max(), np.abs(q).max(), 1e-300)
    rows, q_matrix, q = feasible.rows, q_matrix / scale, q / scale
    x = active_set.minimize_quadratic(q_matrix, q, rows.G, rows.h, rows.E, rows.e, feasible.start)
    if x is None:  # not certified (Q semi-definite, a degenerate vertex): the barrier
        result = barrier.minimize(
            _Quadratic(q_matrix, q), feasible.start, rows.G, rows.h, rows.E, rows.e
        )
        x = result.x  # its polish leaves ±1e-19 on binding bounds, as the solve above:
        if result.polished:
            x = active_set.on_bounds(x, rows.G[result.active], rows.h[result.active])
    return _checked(x, constraints)


def min_variance_weights(cov: np.ndarray, constraints: Constraints) -> np.ndarray:
    """Minimum-variance weights ``(n_assets,)``: ``argmin w'Σw`` under the constraints.

    A convex quadratic programme, solved by the active-set method
    (:mod:`rp_tui.domain.active_set`) when the covariance is positive definite, else by the
    barrier method with an active-set polish (:mod:`rp_tui.domain.barrier`); exact where
    constraints bind.

    Args:
        cov: covariance ``(n_assets, n_assets)``, positive semi-definite.
        constraints: bounds and groups.

    Raises:
        InfeasibleError: the constraints conflict (named).
        AllocationError: the result failed the constraint check (not expected).
    """
    cov = np.asarray(cov, dtype=float)
    return _quadratic_program(cov, np.zeros(len(cov)), constraints)


def mean_variance_weights(
    mu: np.ndarray, cov: np.ndarray, risk_aversion: float, constraints: Constraints
) -> np.ndarray:
    """Maximise ``μ'w − (λ/2)·w'Σw`` (Markowitz 1952) under the constraints.

    The same quadratic programme solver as :func:`min_variance_weights`.

    Args:
        mu: expected returns, ``(n_assets,)``; cov: ``(n_assets, n_assets)``; both in the
            same units (the callers annualise: μ × 252, Σ × 252).
        risk_aversion: λ > 0.
        constraints: bounds and groups.

    Returns:
        Weights ``(n_assets,)``, fractions summing to 1.

    Raises:
        InfeasibleError, AllocationError (also for λ ≤ 0).
    """
    mu, cov = np.asarray(mu, dtype=float), np.asarray(cov, dtype=float)
    if not risk_aversion > 0:
        raise AllocationError(f"risk_aversion must be > 0, got {risk_aversion}")
    return _quadratic_program(risk_aversion * cov, -mu, constraints)


@dataclass(frozen=True)
class ConstrainedRiskBudget:
    """The risk-budgeting portfolio under constraints (see the module docstring).

    Attributes:
        weights: ``(n_assets,)`` fractions summing to 1.
        binding: labels of the constraints that bind, e.g. ``("MTUM min 0.3",)``.
        polished: the binding constraints hold exactly and the KKT conditions were verified
            to 1e-9 (else the barrier's last centre: strictly feasible, objective within
            1e-12 of the optimum).
    """

    weights: np.ndarray
    binding: tuple[str, ...]
    polished: bool


def constrained_risk_budget(
    cov: np.ndarray,
    budgets: np.ndarray,
    constraints: Constraints,
    unconstrained: np.ndarray | None = None,
) -> ConstrainedRiskBudget:
    """The risk-budgeting portfolio restricted to the constraints (module docstring).

    Solved in the volatility-scaled variables ``z_i = x_i σ_i`` (the correlation matrix, as
    for the unconstrained Newton of :func:`~rp_tui.domain.allocation.erc_weights`) by the
    barrier method on the homogeneous rows, started between a strictly feasible point and
    the unconstrained solution; ``t0 ≥ 1/min b`` keeps ``t·f`` self-concordant. Assets that
    no feasible portfolio holds (max 0) get weight 0 and no budget.

    Args:
        cov: covariance ``(n_assets, n_assets)``, positive definite.
        budgets: risk budgets ``(n_assets,)``, positive (normalised here).
        constraints: bounds and groups.
        unconstrained: the unconstrained RB weights ``(n_assets,)``, a warm start (computed
            when ``None``).

    Raises:
        InfeasibleError: the constraints conflict (named).
        AllocationError: a degenerate covariance, or a result failing the constraint check.
    """
    cov = np.asarray(cov, dtype=float)
    b = np.asarray(budgets, dtype=float) / np.sum(budgets)
    feasible = _feasible(constraints)
    rows, keep = feasible.rows, ~feasible.zero
    if feasible.point:  # no choice left: name what pins it
        tight = rows.G @ feasible.start - rows.h <= _POINT
        pinned = tuple(label for label, t in zip(rows.labels, tight, strict=True) if t)
        w = _checked(feasible.start, constraints)
        return ConstrainedRiskBudget(w, pinned + rows.equality_labels[:-1], True)
    if unconstrained is None:
        unconstrained = erc_weights(cov, b)
    start = _warm_start(feasible, unconstrained)
    # homogeneous rows (row − rhs·1'), on the held assets; "w_i ≥ 0" is the log's domain
    g_hom = (rows.G - np.outer(rows.h, np.ones(len(b))))[:, keep]
    e_hom = (rows.E - np.outer(rows.e, np.ones(len(b))))[:, keep]
    useful = np.any(g_hom < -1e-15, axis=1)  # a row with no negative entry holds for x > 0
    e_hom = e_hom[np.abs(e_hom).max(axis=1) > 1e-15]
    vol = np.sqrt(np.diag(cov))[keep]
    corr = cov[np.ix_(keep, keep)] / np.outer(vol, vol)
    b_kept = b[keep] / b[keep].sum()
    z0 = start[keep] * vol
    z0 /= np.sqrt(z0 @ corr @ z0)
    result = barrier.minimize(
        _Spinu(corr, b_kept),
        z0,
        g_hom[useful] / vol,
        np.zeros(int(useful.sum())),
        e_hom / vol,
        np.zeros(len(e_hom)),
        t0=max(1.0, 1.0 / b_kept.min()),
    )
    w = np.zeros(len(b))
    w[keep] = result.x / vol
    w /= w.sum()
    labels = [label for label, u in zip(rows.labels, useful, strict=True) if u]
    binding = tuple(label for label, a in zip(labels, result.active, strict=True) if a)
    binding += rows.equality_labels[:-1]  # equalities always bind (the last: 1'w = 1)
    return ConstrainedRiskBudget(_checked(w, constraints), binding, result.polished)


def _warm_start(feasible: _Feasible, target: np.ndarray) -> np.ndarray:
    """The point ``start + θ(target − start)`` with the largest ``θ ≤ 1`` keeping every row
    at least half as slack as at ``start`` (``target`` is first put on the equalities)."""
    rows = feasible.rows
    target = barrier.project_affine(target, rows.E, rows.e)
    s0 = rows.G @ feasible.start - rows.h
    s1 = rows.G @ target - rows.h
    shrinking = s1 < s0
    theta = np.min(0.5 * s0[shrinking] / (s0[shrinking] - s1[shrinking]), initial=1.0)
    return feasible.start + min(theta, 1.0) * (target - feasible.start)


def constrained_risk_budget_weights(
    cov: np.ndarray, budgets: np.ndarray, constraints: Constraints, start: np.ndarray
) -> np.ndarray:
    """Weights of :func:`constrained_risk_budget` (``start``: unconstrained RB weights)."""
    return constrained_risk_budget(cov, budgets, constraints, start).weights


def project_weights(weights: np.ndarray, constraints: Constraints) -> np.ndarray:
    """The feasible weights nearest (Euclidean) to ``weights`` ``(n_assets,)``; unchanged
    when feasible.

    Bounds alone: exact, ``clip(w − τ, lower, upper)`` with the shift ``τ`` found on the
    piecewise-linear sum (Held, Wolfe & Crowder 1974). With groups: the quadratic programme
    ``min ‖v − w‖²`` by the barrier method.

    Raises:
        InfeasibleError, AllocationError.
    """
    target = np.asarray(weights, dtype=float)
    if constraints.satisfied(target):
        return target
    if constraints.groups:
        return _quadratic_program(np.eye(len(target)), -target, constraints)
    constraints.check_feasible()
    lo, hi = constraints.lower, np.minimum(constraints.upper, 1.0)
    kinks = np.unique(np.r_[target - lo, target - hi])  # the sum is linear between kinks
    sums = np.clip(target - kinks[:, None], lo, hi).sum(axis=1)  # non-increasing in τ
    k = int(np.searchsorted(-sums, -1.0))  # first kink whose sum is ≤ 1
    if k == 0:
        tau = kinks[0]
    elif k == len(kinks):
        tau = kinks[-1]
    else:
        left, right = kinks[k - 1], kinks[k]
        tau = left + (sums[k - 1] - 1.0) / (sums[k - 1] - sums[k]) * (right - left)
    return _checked(np.clip(target - tau, lo, hi), constraints)


def risk_contribution_error(weights: np.ndarray, cov: np.ndarray, budgets: np.ndarray) -> float:
    """Largest relative gap between a risk contribution and its budget (a report figure)."""
    b = np.asarray(budgets) / np.sum(budgets)
    return float(np.max(np.abs(risk_contributions(weights, cov) / b - 1.0)))
