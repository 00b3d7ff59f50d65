"""The active-set quadratic programme solver (issue #16): the barrier method's answer to
rounding wherever it certifies one, bounds met exactly, and the barrier kept for what it
cannot certify."""

from __future__ import annotations

import numpy as np
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from rp_tui.domain import active_set, barrier, optimize
from rp_tui.domain.constraints import Constraints, Group, InfeasibleError


def _problem(seed: int):
    """A min-variance or mean-variance programme on 2-11 assets, with bounds and a group."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 12))
    returns = rng.normal(size=(int(rng.integers(n + 1, 3 * n)), n)) * rng.uniform(0.005, 0.03, n)
    cov = returns.T @ returns / len(returns)
    lower = np.where(rng.random(n) < 0.3, rng.uniform(0, 0.5 / n, n), 0.0)
    upper = np.where(rng.random(n) < 0.3, rng.uniform(1.5 / n, 1, n), 1.0)
    groups = ()
    members = rng.random(n) < 0.5
    if rng.random() < 0.4 and members.any():
        groups = (Group("g", members, float(rng.uniform(0, 0.3)), float(rng.uniform(0.5, 1))),)
    q = np.zeros(n) if rng.random() < 0.5 else -rng.normal(size=n) * rng.uniform(0.01, 1.0)
    scale = max(np.abs(cov).max(), np.abs(q).max())
    return cov / scale, q / scale, Constraints(lower, upper, groups)


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
@example(seed=1672)
def test_certified_answers_are_the_barriers_to_rounding(seed):
    q_matrix, q, constraints = _problem(seed)
    try:
        feasible = optimize._feasible(constraints)
    except InfeasibleError:
        assume(False)
    assume(not feasible.point)  # one feasible point: no programme to solve
    rows = feasible.rows
    x = active_set.minimize_quadratic(q_matrix, q, rows.G, rows.h, rows.E, rows.e, feasible.start)
    reference = barrier.minimize(
        optimize._Quadratic(q_matrix, q), feasible.start, rows.G, rows.h, rows.E, rows.e
    )
    assert x is not None  # positive definite, independent rows: always certified here
    assert constraints.satisfied(x, 1e-12)

    def f(w):
        return 0.5 * w @ q_matrix @ w + q @ w

    assert f(x) <= f(reference.x) + 1e-15 * max(1.0, abs(f(x)))
    # the same point, to what the problem's conditioning lets double precision tell apart
    # (with returns dominating, |q|/λ_min(Q) reached 5e4 and the two differed by 1.4e-12)
    smallest = np.linalg.eigvalsh(q_matrix)[0]
    sensitivity = max(np.linalg.cond(q_matrix), np.abs(q).max() / smallest)
    np.testing.assert_allclose(x, reference.x, rtol=0, atol=1e-12 + 1e-15 * sensitivity)
    # an asset at a bound holds it exactly (the barrier's polish leaves ±1e-19 dust)
    at_bound = np.isclose(x, constraints.lower, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(x[at_bound], constraints.lower[at_bound])


def test_assets_left_out_of_a_min_variance_portfolio_hold_exactly_nothing():
    # three of seven assets at 0. The barrier's polish left 4e-20 and 3e-19 on two (as on
    # the multi-asset example's first backtest window, where whole-share sizing then bought
    # such an asset a leftover share)
    rng = np.random.default_rng(1)
    factors = rng.normal(size=(63, 2)) @ rng.normal(size=(2, 7)) + rng.normal(size=(63, 7))
    cov = np.cov(factors * np.array([0.3, 1, 1.5, 2, 0.2, 0.4, 0.5]), rowvar=False)
    w = optimize.min_variance_weights(cov, Constraints(np.zeros(7), np.ones(7)))
    left_out = w < 1e-12
    assert left_out.sum() >= 2
    np.testing.assert_array_equal(w[left_out], 0.0)


def test_a_semi_definite_covariance_is_left_to_the_barrier():
    # two identical assets: every split between them has the same variance, so there is no
    # one answer to certify; the barrier's (the even split) is kept
    a = np.array([[1.0, 0.3], [0.3, 1.0]])
    cov = np.zeros((3, 3))
    cov[:2, :2], cov[2, :2], cov[:2, 2], cov[2, 2] = a, a[0], a[0], 1.0
    constraints = Constraints(np.zeros(3), np.ones(3))
    feasible = optimize._feasible(constraints)
    rows = feasible.rows
    args = (cov, np.zeros(3), rows.G, rows.h, rows.E, rows.e, feasible.start)
    assert active_set.minimize_quadratic(*args) is None
    w = optimize.min_variance_weights(cov, constraints)
    np.testing.assert_allclose(w, [0.25, 0.5, 0.25], atol=1e-9)  # variance 0.65, the least


def test_the_barriers_answer_holds_its_bounds_exactly_too():
    # six assets, four returns: a semi-definite covariance, so the barrier answers; its
    # polish left 3e-20, 7e-20 and 2e-19 on the three assets at 0
    rng = np.random.default_rng(0)
    returns = rng.normal(size=(4, 6)) * rng.uniform(0.5, 3, 6)
    cov = returns.T @ returns / 3
    w = optimize.min_variance_weights(cov, Constraints(np.zeros(6), np.ones(6)))
    left_out = w < 1e-12
    assert left_out.sum() == 3
    np.testing.assert_array_equal(w[left_out], 0.0)
