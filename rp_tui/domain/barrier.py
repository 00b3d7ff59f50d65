"""Log-barrier interior-point minimisation of a smooth convex function under linear rows,
finished by an active-set polish that makes the binding rows hold exactly.

Problem: minimise ``f(x)`` over ``G x ≥ h``, ``E x = e`` (``x`` in the domain of ``f``).

Method: the barrier method (Fiacco & McCormick 1968, "Nonlinear Programming: Sequential
Unconstrained Minimization Techniques"; Boyd & Vandenberghe 2004, "Convex Optimization",
§11.3). For ``t = t0, μ·t0, μ²·t0, …`` the centre of ``φ_t(x) = t·f(x) − Σ_j ln(g_j'x − h_j)``
on ``E x = e`` is found by Newton's method from the previous centre; it is ``m/t``-suboptimal
(``m`` rows). Steps backtrack (Armijo) while the Newton decrement ``λ ≥ 1/4`` and are full
after; every iterate stays strictly feasible, and the method converges from any strictly
feasible start when ``t·f`` is self-concordant (Nesterov & Nemirovski 1994,
"Interior-Point Polynomial Algorithms in Convex Programming"; Boyd & Vandenberghe §9.6: a
convex quadratic, or ``−a·ln x`` with ``a ≥ 1``: the caller picks ``t0``).

Once ``m/t ≤ 1e-4`` the active set is read off (rows whose slack ``s_j ≤ 1/√t``: their
multiplier estimate ``1/(t·s_j)`` exceeds the slack), ``f`` is minimised on that face by Newton
and the point is kept when it meets the KKT conditions to 1e-9 (stationary with multipliers
≥ 0, found by non-negative least squares (Lawson & Hanson 1974, "Solving Least Squares
Problems", ch. 23) so that degenerate vertices pass; the other rows
satisfied). A KKT point of a convex problem is its minimiser, so an accepted polish is the
answer; otherwise ``t`` grows on, to ``m/t ≤ 1e-12``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

_POLISH_GAP = 1e-4  # m/t from which the active-set polish is tried (a rejected try costs
# a few Newton steps; an accepted one is the optimum, as the KKT conditions are verified)
_FINAL_GAP = 1e-12  # m/t at which the barrier stops if no polish was accepted
_KKT_TOL = 1e-9
_MAX_CENTRE_STEPS = 200
# the reductions behind ndarray.sum/min, without the methods' Python frames (same results):
# the line search calls them ~35 times a constrained solve
_sum, _min = np.add.reduce, np.minimum.reduce


class Objective(Protocol):
    """A smooth convex function of ``x`` ``(n,)``."""

    def value(self, x: np.ndarray) -> float:
        """``f(x)``; ``inf`` outside the domain."""

    def derivatives(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gradient ``(n,)`` and Hessian ``(n, n)`` at ``x``."""


@dataclass(frozen=True)
class BarrierResult:
    """The minimiser and what binds there.

    Attributes:
        x: the minimiser, ``(n,)``.
        active: ``(m,)`` bool, rows of ``G`` that bind.
        multipliers: ``(m,)``, the KKT multiplier of each row (0 where not active).
        polished: the binding rows hold exactly and the KKT conditions were verified.
        newton_steps: Newton steps taken, barrier and polish.
    """

    x: np.ndarray
    active: np.ndarray
    multipliers: np.ndarray
    polished: bool
    newton_steps: int


def null_space(a: np.ndarray) -> np.ndarray:
    """Orthonormal basis ``(n, n − rank)`` of the null space of ``a`` ``(p, n)`` (SVD)."""
    n = a.shape[1]
    if a.shape[0] == 0:
        return np.eye(n)
    _, s, vt = np.linalg.svd(a)
    rank = int((s > 1e-12 * max(1.0, s[0])).sum())
    return vt[rank:].T


def project_affine(x: np.ndarray, a: np.ndarray, r: np.ndarray) -> np.ndarray:
    """The point of ``{y: a y = r}`` nearest to ``x`` (least squares; ``a`` may be rank
    deficient)."""
    if a.shape[0] == 0:
        return x
    return x - np.linalg.lstsq(a, a @ x - r, rcond=None)[0]


def _solve_pd(h: np.ndarray, g: np.ndarray) -> np.ndarray:
    # imported here: scipy.linalg takes 0.3 s to import, and only the constrained methods
    # come here (an ERC or inverse-vol backtest never does)
    from scipy.linalg.lapack import dposv

    _, x, info = dposv(h, g)  # Cholesky (LAPACK)
    if info == 0:
        return x
    return np.linalg.lstsq(h, g, rcond=None)[0]  # numerically singular: least squares


def _reduce(basis: np.ndarray | None, g: np.ndarray, h: np.ndarray):
    if basis is None:
        return g, h
    return basis.T @ g, basis.T @ h @ basis


def _centre(objective, x, g_rows, h, basis, t) -> tuple[np.ndarray, int]:
    """Newton on ``φ = t·f − Σ ln(G x − h)`` within ``x + span(basis)``: backtracking
    (Armijo) while the decrement ``λ ≥ 1/4``, full steps after (the quadratic region)."""
    slack = g_rows @ x - h
    phi = t * objective.value(x) - _sum(np.log(slack))
    for k in range(_MAX_CENTRE_STEPS):
        grad, hess = objective.derivatives(x)
        inv = 1.0 / slack
        g = t * grad - g_rows.T @ inv
        big_h = t * hess + (g_rows.T * inv**2) @ g_rows
        g_r, h_r = _reduce(basis, g, big_h)
        d = _solve_pd(h_r, g_r)
        decrement_sq = float(g_r @ d)
        if not decrement_sq > 1e-20:  # converged (or NaN: nothing more to gain)
            return x, k
        dx = d if basis is None else basis @ d
        step, quadratic = 1.0, decrement_sq < 0.0625
        while True:
            x_next = x - step * dx
            slack_next = g_rows @ x_next - h
            if _min(slack_next, initial=np.inf) > 0:
                value = objective.value(x_next)
                phi_next = t * value - _sum(np.log(slack_next))
                if np.isfinite(value) and (
                    quadratic or phi_next <= phi - 0.25 * step * decrement_sq
                ):
                    break
            step *= 0.5
            if step < 1e-14:
                return x, k
        x, slack, phi = x_next, slack_next, phi_next
        if decrement_sq < 1e-10:  # that full step squared the decrement: centred
            return x, k + 1
    return x, _MAX_CENTRE_STEPS


def _polish(objective, x, g_rows, h, e_rows, e, active):
    """Minimise ``f`` on the face where the ``active`` rows bind, adding rows the face point
    violates (up to 3 rounds); ``(x, active, multipliers, steps)``, or ``None`` unless the
    KKT conditions hold."""
    steps = 0
    for _ in range(3):
        face = np.vstack([e_rows, g_rows[active]])
        rhs = np.concatenate([e, h[active]])
        y = project_affine(x, face, rhs)
        if np.abs(face @ y - rhs).max(initial=0.0) > 1e-12:
            return None
        y, k = _face_newton(objective, y, null_space(face))
        steps += k
        if y is None:
            return None
        violated = ~active & (g_rows @ y - h < -1e-12)
        if not violated.any():
            break
        active = active | violated
    else:
        return None
    grad, _ = objective.derivatives(y)
    # ∇f = E'ν + G_A'λ, ν free, λ ≥ 0: in the null space of E, N'∇f = N'G_A'λ by NNLS
    tangent = null_space(e_rows)
    columns, target = tangent.T @ g_rows[active].T, tangent.T @ grad
    lam = _nnls(columns, target)
    residual = np.abs(columns @ lam - target).max(initial=0.0) / max(1.0, np.abs(grad).max())
    if residual > _KKT_TOL:
        return None
    full = np.zeros(len(h))
    full[active] = lam
    return y, active, full, steps


def _face_newton(objective, y, basis) -> tuple[np.ndarray | None, int]:
    """Newton's method for ``f`` on ``y + span(basis)`` (``None`` if it leaves the domain)."""
    if not np.isfinite(objective.value(y)):
        return None, 0
    for k in range(1, 50):
        if basis.shape[1] == 0:
            return y, k
        grad, hess = objective.derivatives(y)
        g_r = basis.T @ grad
        d = basis @ _solve_pd(basis.T @ hess @ basis, g_r)
        step = 1.0
        while not np.isfinite(objective.value(y - step * d)):
            step *= 0.5
            if step < 1e-14:
                return None, k
        y = y - step * d
        if float(g_r @ g_r) < 1e-30 or (step == 1.0 and np.abs(d).max() < 1e-15):
            return y, k
    return y, 50


def _nnls(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``argmin ‖a x − y‖`` over ``x ≥ 0`` (Lawson & Hanson's active-set algorithm)."""
    k = a.shape[1]
    x, passive = np.zeros(k), np.zeros(k, bool)
    tol = 1e-14 * max(1.0, np.abs(a).max(initial=0.0) * np.abs(y).max(initial=0.0))
    for _ in range(3 * k):
        w = a.T @ (y - a @ x)
        if passive.all() or np.max(w[~passive]) <= tol:
            break
        passive[np.argmax(np.where(passive, -np.inf, w))] = True
        while True:
            z = np.zeros(k)
            z[passive] = np.linalg.lstsq(a[:, passive], y, rcond=None)[0]
            if z[passive].min() > 0:
                x = z
                break
            blocking = passive & (z <= 0)
            x = x + np.min(x[blocking] / (x[blocking] - z[blocking])) * (z - x)
            passive &= x > tol
            x[~passive] = 0.0
    return x


def minimize(
    objective: Objective,
    x0: np.ndarray,
    g_rows: np.ndarray,
    h: np.ndarray,
    e_rows: np.ndarray,
    e: np.ndarray,
    t0: float = 1.0,
    mu: float = 20.0,
) -> BarrierResult:
    """Minimise ``objective`` over ``G x ≥ h``, ``E x = e`` by the barrier method.

    Args:
        objective: a smooth convex :class:`Objective` with ``t0·f`` self-concordant.
        x0: a start ``(n,)`` with ``E x0 = e``, ``G x0 > h`` on every row, in the domain.
        g_rows, h: ``(m, n)``, ``(m,)``; e_rows, e: ``(p, n)``, ``(p,)``.
        t0: first barrier weight; mu: its growth per outer step.

    Returns:
        A :class:`BarrierResult`: polished (binding rows exact, KKT verified to 1e-9), or
        else the last centre, within ``m·1e-12`` of the optimal value and strictly feasible.

    Raises:
        ValueError: ``x0`` is not strictly feasible.
    """
    x = np.asarray(x0, dtype=float)
    m = len(h)
    if np.any(g_rows @ x - h <= 0) or not np.isfinite(objective.value(x)):
        raise ValueError("the barrier method needs a strictly feasible start")
    basis = null_space(e_rows) if len(e) else None  # None: no equalities, steps are free
    if basis is not None and basis.shape[1] == 0:  # the equalities leave one point
        return BarrierResult(x, np.zeros(m, bool), np.zeros(m), True, 0)
    t, steps = (t0, 0) if m else (1.0, 0)
    while True:
        x, k = _centre(objective, x, g_rows, h, basis, t)
        steps += k
        if m == 0:
            return BarrierResult(x, np.zeros(0, bool), np.zeros(0), True, steps)
        slack = g_rows @ x - h
        if m / t <= _POLISH_GAP:
            active = slack <= 1.0 / np.sqrt(t)
            polished = _polish(objective, x, g_rows, h, e_rows, e, active)
            if polished is not None:
                y, active, lam, k = polished
                return BarrierResult(y, active, lam, True, steps + k)
        if m / t <= _FINAL_GAP:
            active = slack <= 1.0 / np.sqrt(t)
            return BarrierResult(x, active, np.where(active, 1.0 / (t * slack), 0.0), False, steps)
        t *= mu


def strictly_feasible(
    g_rows: np.ndarray, h: np.ndarray, e_rows: np.ndarray, e: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A point strictly inside every row that can be strict, and the rows that cannot.

    Solves the linear programme ``max s`` s.t. ``G x − h ≥ s``, ``s ≤ 1``, ``E x = e``
    (HiGHS). If the best ``s`` is not clearly positive, each row's largest slack is found by
    its own linear programme: rows that cannot exceed 1e-9 are implicit equalities (they hold
    with equality at every feasible point), and the average of the others' maximisers is
    strictly inside all of them.

    Returns:
        ``x`` ``(n,)`` with ``E x = e``, and a bool mask ``(m,)`` of the implicit equalities.

    Raises:
        ValueError: no point satisfies the rows.
    """
    from scipy.optimize import linprog

    m, n = g_rows.shape
    tight = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}
    free = [(None, None)] * n
    result = linprog(
        np.r_[np.zeros(n), -1.0],
        A_ub=np.hstack([-g_rows, np.ones((m, 1))]),
        b_ub=-h,
        A_eq=np.hstack([e_rows, np.zeros((len(e), 1))]),
        b_eq=e,
        bounds=[*free, (None, 1.0)],
        method="highs",
        options=tight,
    )
    if result.status != 0:
        raise ValueError(f"no weights satisfy the constraints ({result.message})")
    x = project_affine(result.x[:n], e_rows, e)
    if result.x[n] > 1e-8 and np.all(g_rows @ x - h > 0):
        return x, np.zeros(m, bool)
    implicit = np.zeros(m, bool)
    witnesses = []
    for j in range(m):
        row = linprog(
            -g_rows[j], A_ub=-g_rows, b_ub=-h, A_eq=e_rows, b_eq=e, bounds=free, method="highs",
            options=tight,
        )  # fmt: skip
        if row.status != 0 or g_rows[j] @ row.x - h[j] <= 1e-9:
            implicit[j] = True
        else:
            witnesses.append(row.x)
    x = np.mean(witnesses, axis=0) if witnesses else x
    x = project_affine(x, np.vstack([e_rows, g_rows[implicit]]), np.r_[e, h[implicit]])
    return x, implicit
