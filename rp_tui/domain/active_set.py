"""Primal active-set method for a strictly convex quadratic programme with few variables.

Problem: minimise ``f(x) = ½ x'Qx + q'x`` over ``G x ≥ h``, ``E x = e``, with ``Q`` positive
definite (so the minimiser is unique), from a feasible start.

Method: Nocedal & Wright 2006, "Numerical Optimization", 2nd ed., Algorithm 16.3. Each
iteration minimises ``f`` on the face where the working set's rows bind (one KKT system);
a step blocked by another row adds it, and at a face minimiser a negative multiplier
releases its row. A long-only, fully invested portfolio of a handful of assets takes a few
iterations of one small linear solve each, where the barrier method
(:mod:`rp_tui.domain.barrier`) takes ~35 Newton steps.

The answer is returned only when certified: ``Q`` positive definite (Cholesky), every row
met to 1e-12 and the KKT conditions verified to 1e-9 with non-negative multipliers (the
barrier's polish accepts on the same terms). A KKT point of a strictly convex problem is
its one minimiser, so a certified answer is the barrier's answer to rounding. Otherwise
(``Q`` only semi-definite, a degenerate vertex whose rows are dependent, cycling) it
returns ``None`` and the caller runs the barrier method.
"""

from __future__ import annotations

import numpy as np

_KKT_TOL = 1e-9  # stationarity, relative to the gradient's size (as the barrier's polish)
_FEASIBLE_TOL = 1e-12  # rows met to rounding
_STEP_TOL = 1e-13  # a step this small is no step: x minimises f on its face


def minimize_quadratic(
    q_matrix: np.ndarray,
    q: np.ndarray,
    g_rows: np.ndarray,
    h: np.ndarray,
    e_rows: np.ndarray,
    e: np.ndarray,
    x0: np.ndarray,
) -> np.ndarray | None:
    """The minimiser of ``½ x'Qx + q'x`` over ``G x ≥ h``, ``E x = e``, or ``None``.

    Args:
        q_matrix: ``Q`` ``(n, n)``, symmetric; q: ``(n,)``. Scaled to order one by the
            caller (the tolerances are absolute).
        g_rows, h: ``(m, n)``, ``(m,)``; e_rows, e: ``(p, n)``, ``(p,)``, rows independent.
        x0: a feasible start ``(n,)`` (``E x0 = e``, ``G x0 ≥ h``).

    Returns:
        The certified minimiser ``(n,)`` (see the module docstring), or ``None`` when it
        cannot be certified: then solve by :func:`rp_tui.domain.barrier.minimize`.
    """
    try:
        np.linalg.cholesky(q_matrix)
    except np.linalg.LinAlgError:  # semi-definite: many minimisers, the barrier's choice
        return None
    n, m, p = len(x0), len(h), len(e)
    x = np.array(x0, dtype=float)
    working = np.flatnonzero(g_rows @ x - h <= _FEASIBLE_TOL).tolist()
    for _ in range(3 * (m + n) + 10):  # each row joins and leaves a few times at most
        k = p + len(working)
        kkt = np.zeros((n + k, n + k))
        kkt[:n, :n] = q_matrix
        kkt[n : n + p, :n] = e_rows
        kkt[n + p :, :n] = g_rows[working]
        kkt[:n, n:] = kkt[n:, :n].T
        rhs = np.concatenate([-q, e, h[working]])
        try:  # the minimiser y of f on the face: Q y + q = rows'·λ, rows·y = rhs
            solution = np.linalg.solve(kkt, rhs)
        except np.linalg.LinAlgError:  # dependent rows (a degenerate vertex)
            return None
        if not np.isfinite(solution).all():
            return None
        y, multipliers = solution[:n], -solution[n:]
        step = y - x
        if np.abs(step).max() <= _STEP_TOL:
            held = multipliers[p:]
            if held.size == 0 or held.min() >= 0.0:
                y = on_bounds(y, g_rows[working], h[working])
                return _certified(q_matrix, q, g_rows, h, e_rows, e, y, working, multipliers)
            del working[int(np.argmin(held))]  # releasing this row lowers f
            continue
        moves = g_rows @ step
        closing = moves < 0.0
        closing[working] = False
        slack = np.maximum(g_rows @ x - h, 0.0)
        ratios = np.where(closing, slack / np.where(closing, -moves, 1.0), 1.0)
        j = int(np.argmin(ratios)) if m else 0
        if m and ratios[j] < 1.0:  # blocked: stop on that row and add it
            x = x + ratios[j] * step
            working.append(j)
        else:
            x = y
    return None  # cycling (degeneracy): leave it to the barrier


def on_bounds(x: np.ndarray, rows: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``x`` ``(n,)`` with each binding single-asset row of ``rows`` ``(k, n)``, ``rhs``
    ``(k,)`` (a bound) met exactly: a solve leaves ±1e-17 dust there, and an asset at its
    bound of 0 must hold exactly nothing."""
    single = np.count_nonzero(rows, axis=1) == 1
    if single.any():
        assets = np.argmax(rows[single] != 0, axis=1)
        x = x.copy()
        x[assets] = rhs[single] / rows[single, assets]
    return x


def _certified(q_matrix, q, g_rows, h, e_rows, e, x, working, multipliers) -> np.ndarray | None:
    """``x`` if it meets every row and the KKT conditions, else ``None``."""
    if (g_rows @ x - h).min(initial=0.0) < -_FEASIBLE_TOL:
        return None
    if np.abs(e_rows @ x - e).max(initial=0.0) > _FEASIBLE_TOL:
        return None
    gradient = q_matrix @ x + q
    rows = np.vstack([e_rows, g_rows[working]])
    residual = np.abs(gradient - rows.T @ multipliers).max(initial=0.0)
    if residual > _KKT_TOL * max(1.0, np.abs(gradient).max()):
        return None
    return x
