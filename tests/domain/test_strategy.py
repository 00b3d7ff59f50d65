"""Every allocation method against an independent implementation or a closed form."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rp_tui.domain.allocation import risk_contributions
from rp_tui.domain.constraints import Constraints, Group, InfeasibleError
from rp_tui.domain.covariance import (
    ewma_covariance,
    ledoit_wolf_covariance,
    semi_covariance,
)
from rp_tui.domain.metrics import TRADING_DAYS
from rp_tui.domain.returns import sample_covariance, simple_returns
from rp_tui.domain.strategy import AllocationSpec, allocate
from rp_tui.inputs.bundled_data import FACTOR_ETFS
from rp_tui.inputs.prices import load_prices

NAMES = ("MTUM", "QUAL", "SIZE", "USMV", "VLUE")


@pytest.fixture(scope="module")
def returns() -> np.ndarray:
    return simple_returns(load_prices(bundled=FACTOR_ETFS).closes)[-252:]


def bounded(lower=0.0, upper=1.0, groups=()):
    return Constraints(np.full(5, lower), np.full(5, upper), tuple(groups), NAMES)


def test_risk_budgets_met_and_match_skfolio(returns):
    budgets = np.array([0.3, 0.1, 0.2, 0.25, 0.15])
    result = allocate(returns, AllocationSpec("risk-budget", budgets=budgets))
    assert result.exact
    np.testing.assert_allclose(result.risk_contributions, budgets, rtol=1e-8)
    skfolio = pytest.importorskip("skfolio.optimization")
    oracle = skfolio.RiskBudgeting(risk_budget=budgets).fit(returns).weights_
    np.testing.assert_allclose(result.weights, oracle, atol=5e-5)


def test_hrp_equals_skfolio(returns):
    skfolio = pytest.importorskip("skfolio.optimization")
    ours = allocate(returns, AllocationSpec("hrp")).weights
    np.testing.assert_allclose(
        ours, skfolio.HierarchicalRiskParity().fit(returns).weights_, atol=1e-12
    )


def test_min_variance_matches_closed_form_and_skfolio(returns):
    cov = sample_covariance(returns)
    ours = allocate(returns, AllocationSpec("min-variance")).weights
    inv = np.linalg.solve(cov, np.ones(5))
    if np.all(inv > 0):  # long-only constraint not binding: w ∝ Σ⁻¹1
        np.testing.assert_allclose(ours, inv / inv.sum(), atol=1e-7)
    skfolio = pytest.importorskip("skfolio.optimization")
    oracle = skfolio.MeanRisk().fit(returns).weights_
    assert ours @ cov @ ours <= oracle @ cov @ oracle * (1 + 1e-6)
    np.testing.assert_allclose(ours, oracle, atol=1e-4)


def test_mean_variance_matches_skfolio_utility(returns):
    skfolio = pytest.importorskip("skfolio.optimization")
    lam = 8.0
    ours = allocate(returns, AllocationSpec("mean-variance", risk_aversion=lam)).weights
    # skfolio maximises μ'w − a·w'Σw on daily data: the same argmax for a = λ/2
    oracle = (
        skfolio.MeanRisk(
            objective_function=skfolio.ObjectiveFunction.MAXIMIZE_UTILITY, risk_aversion=lam / 2
        )
        .fit(returns)
        .weights_
    )
    mu, cov = returns.mean(axis=0) * TRADING_DAYS, sample_covariance(returns) * TRADING_DAYS

    def utility(w):
        return mu @ w - lam / 2 * w @ cov @ w

    assert utility(ours) >= utility(oracle) - 1e-9
    np.testing.assert_allclose(ours, oracle, atol=1e-3)


def test_group_and_bound_constraints_hold(returns):
    classes = np.array(["equity", "equity", "equity", "defensive", "value"])
    groups = (
        Group("equity", classes == "equity", 0.5, 0.5),
        Group("defensive", classes == "defensive", 0.25, 0.25),
    )
    constraints = Constraints(np.full(5, 0.05), np.full(5, 0.4), groups, NAMES)
    for method in ("erc", "inverse-vol", "hrp", "min-variance", "mean-variance", "downside-erc"):
        w = allocate(returns, AllocationSpec(method, constraints=constraints)).weights
        assert constraints.satisfied(w, tol=1e-9), method
        assert w[classes == "equity"].sum() == pytest.approx(0.5, abs=1e-9)
        assert w[3] == pytest.approx(0.25, abs=1e-9) and w[4] == pytest.approx(0.25, abs=1e-9)


def test_binding_bounds_give_the_risk_budget_restricted_to_them(returns):
    free = allocate(returns, AllocationSpec("erc"))
    capped = allocate(returns, AllocationSpec("erc", constraints=bounded(0.0, 0.21)))
    assert free.weights.max() > 0.21 and not capped.exact
    assert capped.weights.max() <= 0.21 + 1e-9 and capped.weights.sum() == pytest.approx(1.0)
    spread = np.ptp(risk_contributions(capped.weights, free.covariance))
    assert spread < np.ptp(risk_contributions(np.full(5, 0.2), free.covariance))
    np.testing.assert_allclose(capped.weights[3:], 0.21, atol=1e-12)  # VLUE binds once USMV does
    assert capped.notes == (
        "constraints bind (USMV max 0.21, VLUE max 0.21): risk contributions differ from the "
        "budgets",
    )


MEMBERS = np.array([1, 1, 0, 0, 0], bool)  # MTUM and QUAL
BINDING = {  # issue #10 item 7: each of these made erc fail ("Positive directional derivative")
    "MTUM min 0.3": Constraints(np.array([0.3, 0, 0, 0, 0]), np.ones(5), (), NAMES),
    "USMV max 0.1": Constraints(np.zeros(5), np.array([1, 1, 1, 0.1, 1]), (), NAMES),
    "group MTUM+QUAL max 0.3": Constraints(
        np.zeros(5), np.ones(5), (Group("momentum-quality", MEMBERS, 0.0, 0.3),), NAMES
    ),
}


def _skfolio_bounded(returns, constraints):
    skfolio = pytest.importorskip("skfolio.optimization")
    kwargs = {"min_weights": constraints.lower, "max_weights": constraints.upper}
    if constraints.groups:
        g = constraints.groups[0]
        kwargs["groups"] = [np.where(g.members, "g", "rest").tolist()]
        kwargs["linear_constraints"] = [f"g <= {g.upper}"]
    return skfolio.RiskBudgeting(**kwargs).fit(returns).weights_


@pytest.mark.parametrize("case", sorted(BINDING))
def test_erc_under_a_binding_constraint_is_the_constrained_risk_budget(returns, case):
    constraints = BINDING[case]
    result = allocate(returns, AllocationSpec("erc", constraints=constraints))
    w = result.weights
    assert constraints.satisfied(w, tol=1e-9) and not result.exact
    assert result.notes[-1].startswith("constraints bind (")
    if case == "MTUM min 0.3":
        assert w[0] == pytest.approx(0.3, abs=1e-12)
    elif case == "USMV max 0.1":
        assert w[3] == pytest.approx(0.1, abs=1e-12)
    else:
        assert w[MEMBERS].sum() == pytest.approx(0.3, abs=1e-12)
    # the same homogeneous problem as skfolio's RiskBudgeting (a conic solver, ~1e-5)
    np.testing.assert_allclose(w, _skfolio_bounded(returns, constraints), atol=5e-5)
    # KKT: within a block of assets that share their binding constraints, each risk
    # contribution is its budget less one common multiple of its weight, RC_i = b_i − ν·w_i
    rc = risk_contributions(w, result.covariance)
    free = MEMBERS if case.startswith("group") else ~np.isin(np.arange(5), [0, 3])
    nu = (0.2 - rc[free]) / w[free]
    np.testing.assert_allclose(nu, nu.mean(), rtol=1e-8)
    rest = ~MEMBERS if case.startswith("group") else None
    if rest is not None:
        nu_rest = (0.2 - rc[rest]) / w[rest]
        np.testing.assert_allclose(nu_rest, nu_rest.mean(), rtol=1e-8)


@pytest.mark.parametrize("case", sorted(BINDING))
@pytest.mark.parametrize(
    "method",
    ["erc", "risk-budget", "downside-erc", "inverse-vol", "hrp", "min-variance", "mean-variance"],
)
def test_no_method_fails_on_feasible_binding_constraints(returns, case, method):
    constraints = BINDING[case]
    budgets = np.array([0.4, 0.15, 0.15, 0.15, 0.15])
    result = allocate(returns, AllocationSpec(method, budgets=budgets, constraints=constraints))
    assert constraints.satisfied(result.weights, tol=1e-9)
    assert np.all(result.weights >= 0.0)


def test_erc_ignores_the_budgets_and_says_so(returns):
    """Issue #10 item 6: under erc the budget values used to give RCs 40/15/15/15/15."""
    budgets = np.array([0.4, 0.15, 0.15, 0.15, 0.15])
    for method in ("erc", "downside-erc"):
        result = allocate(returns, AllocationSpec(method, budgets=budgets))
        np.testing.assert_allclose(result.risk_contributions, 0.2, rtol=1e-8)
        np.testing.assert_allclose(result.budgets, 0.2)
        assert result.exact and result.budgets_ignored
        assert result.notes == (
            f"method {method} gives every asset the same risk budget: the assets' budget "
            'values (0.4 0.15 0.15 0.15 0.15) are ignored; method "risk-budget" uses them',
        )
    budgeted = allocate(returns, AllocationSpec("risk-budget", budgets=budgets))
    np.testing.assert_allclose(budgeted.risk_contributions, budgets, rtol=1e-8)
    assert not budgeted.budgets_ignored and budgeted.notes == ()
    plain = allocate(returns, AllocationSpec("erc"))
    assert not plain.budgets_ignored and plain.notes == ()
    assert allocate(returns, AllocationSpec("hrp", budgets=budgets)).budgets_ignored


EVERYTHING = np.ones(2, bool)


@pytest.mark.parametrize(
    ("cov", "constraints", "answer"),
    [  # one asset class holding every asset at exactly 100 %, plus minimums: SLSQP used to
        # stop with "Inequality constraints incompatible" on these feasible sets
        (
            np.array([[8e-4, -3e-4], [-3e-4, 2.3e-4]]),
            Constraints(
                np.array([0.83, 0.11]), np.array([0.88, 0.47]), (Group("all", EVERYTHING, 1, 1),)
            ),
            [0.83, 0.17],
        ),
        (
            np.array([[2e-4, 2.07e-4], [2.07e-4, 2.16e-4]]),
            Constraints(np.array([0.74, 0.08]), np.ones(2), (Group("all", EVERYTHING, 1, 1),)),
            [0.92, 0.08],
        ),
    ],
)
def test_quadratic_programmes_solve_degenerate_feasible_sets(cov, constraints, answer):
    from rp_tui.domain import optimize

    # both minima are corner solutions: w1 unconstrained would be 0.325 and 4.5
    np.testing.assert_allclose(optimize.min_variance_weights(cov, constraints), answer, atol=1e-12)
    w = optimize.mean_variance_weights(np.array([0.0, 0.0]), cov, 4.0, constraints)
    np.testing.assert_allclose(w, answer, atol=1e-12)
    projected = optimize.project_weights(np.array([0.5, 0.5]), constraints)
    assert constraints.satisfied(projected, 1e-12)
    np.testing.assert_allclose(
        projected, [max(0.5, constraints.lower[0]), 1 - max(0.5, constraints.lower[0])], atol=1e-12
    )


@pytest.mark.parametrize(
    ("constraints", "needle"),
    [
        (bounded(0.3), "min weights add up to 1.5 > 1"),
        (bounded(0.0, 0.1), "max weights add up to 0.5 < 1"),
        (
            Constraints(
                np.zeros(5),
                np.array([0.1, 0.1, 1, 1, 1]),
                (Group("momentum", np.array([1, 1, 0, 0, 0], bool), 0.5, 0.5),),
                NAMES,
            ),
            "group momentum (MTUM, QUAL) must hold 0.5..0.5, but its assets' bounds allow 0..0.2",
        ),
    ],
)
def test_infeasible_constraints_are_named(returns, constraints, needle):
    with pytest.raises(InfeasibleError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        allocate(returns, AllocationSpec("min-variance", constraints=constraints))


def test_downside_erc_equalises_semi_variance_contributions(returns):
    result = allocate(returns, AllocationSpec("downside-erc", downside_threshold=0.0))
    np.testing.assert_allclose(result.covariance, semi_covariance(returns, 0.0))
    np.testing.assert_allclose(result.risk_contributions, 0.2, rtol=1e-8)


def test_estimators(returns):
    sklearn = pytest.importorskip("sklearn.covariance")
    ours, shrinkage = ledoit_wolf_covariance(returns)
    theirs, their_shrinkage = sklearn.ledoit_wolf(returns)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    assert shrinkage == pytest.approx(their_shrinkage)
    np.testing.assert_allclose(ewma_covariance(returns, 1e9), sample_covariance(returns), rtol=1e-6)
    recent = ewma_covariance(returns, 5.0)
    assert not np.allclose(recent, sample_covariance(returns), rtol=0.05)
    log = allocate(returns, AllocationSpec("erc", returns="log", estimator="ewma"))
    assert log.weights.sum() == pytest.approx(1.0)


def test_volatility_targeting_scales_to_target_without_leverage(returns):
    result = allocate(returns, AllocationSpec("erc", target_volatility=0.05))
    vol = np.sqrt(result.weights @ sample_covariance(returns) @ result.weights * TRADING_DAYS)
    assert vol == pytest.approx(0.05) and 0 < result.scale < 1
    assert result.weights.sum() < 1  # the rest is cash
    high = allocate(returns, AllocationSpec("erc", target_volatility=0.9))
    assert high.scale == 1.0 and high.weights.sum() == pytest.approx(1.0)  # gross ≤ 1


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31), method=st.sampled_from(["erc", "hrp", "min-variance"]))
def test_methods_are_long_only_fully_invested_and_scale_invariant(seed, method):
    rng = np.random.default_rng(seed)
    r = (
        rng.normal(size=(300, 3)) @ rng.normal(size=(3, 6)) * 0.005
        + rng.normal(size=(300, 6)) * 0.01
    )
    w = allocate(r, AllocationSpec(method)).weights
    assert np.all(w >= -1e-12) and w.sum() == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(allocate(r * 3.0, AllocationSpec(method)).weights, w, atol=1e-6)
