import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rp_tui.domain.allocation import (
    AllocationError,
    erc_weights,
    inverse_vol_weights,
    risk_contributions,
)
from rp_tui.domain.returns import sample_covariance, simple_returns
from rp_tui.inputs.bundled_data import FACTOR_ETFS
from rp_tui.inputs.prices import load_prices


@pytest.fixture(scope="module")
def bundled_cov() -> np.ndarray:
    closes = load_prices(bundled=FACTOR_ETFS).closes
    return sample_covariance(simple_returns(closes)[-252:])


def random_cov(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(n, n)) * rng.uniform(0.1, 3.0, size=n)
    vol = rng.uniform(0.002, 0.05, size=n)
    cov = factors @ factors.T + np.eye(n) * rng.uniform(1e-3, 1.0)
    d = np.sqrt(np.diag(cov))
    return cov / np.outer(d, d) * np.outer(vol, vol)


def test_erc_on_bundled_data_has_equal_risk_contributions(bundled_cov):
    w = erc_weights(bundled_cov)
    rc = risk_contributions(w, bundled_cov)
    assert np.all(w > 0)
    assert w.sum() == pytest.approx(1.0, abs=1e-14)
    np.testing.assert_allclose(rc, 0.2, rtol=1e-8)


def test_two_asset_erc_matches_closed_form():
    # With two assets ERC is inverse volatility whatever the correlation (Maillard et al. 2010).
    s1, s2, rho = 0.01, 0.03, -0.4
    cov = np.array([[s1 * s1, rho * s1 * s2], [rho * s1 * s2, s2 * s2]])
    np.testing.assert_allclose(erc_weights(cov), [s2 / (s1 + s2), s1 / (s1 + s2)], rtol=1e-12)


def test_inverse_vol_closed_form(bundled_cov):
    vol = np.sqrt(np.diag(bundled_cov))
    np.testing.assert_allclose(inverse_vol_weights(bundled_cov), (1 / vol) / (1 / vol).sum())


def test_risk_budgets_are_met():
    cov = random_cov(3, 6)
    budgets = np.array([1, 2, 3, 4, 5, 6], dtype=float)
    rc = risk_contributions(erc_weights(cov, budgets), cov)
    np.testing.assert_allclose(rc, budgets / budgets.sum(), rtol=1e-8)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 30), scale=st.floats(1e-6, 1e6))
def test_erc_properties_on_random_covariances(seed, n, scale):
    cov = random_cov(seed, n)
    w = erc_weights(cov)
    assert np.all(w > 0)
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(risk_contributions(w, cov), 1.0 / n, rtol=1e-8)
    np.testing.assert_allclose(erc_weights(cov * scale), w, rtol=1e-8, atol=1e-14)


@given(arrays(float, 4, elements=st.floats(1e-4, 1e-1)))
def test_diagonal_covariance_gives_inverse_vol(vol):
    cov = np.diag(vol**2)
    np.testing.assert_allclose(erc_weights(cov), inverse_vol_weights(cov), rtol=1e-9)


def test_zero_variance_asset_is_named():
    cov = np.diag([1e-4, 0.0, 2e-4])
    with pytest.raises(AllocationError) as err:
        erc_weights(cov)
    assert err.value.asset == 1


def test_not_positive_definite_is_refused():
    cov = np.array([[1.0, 2.0], [2.0, 1.0]]) * 1e-4
    with pytest.raises(AllocationError):
        erc_weights(cov)


def test_unknown_method_is_refused():
    from rp_tui.domain.strategy import AllocationSpec, allocate

    with pytest.raises(ValueError, match="unknown allocation method 'hrp-typo'"):
        allocate(np.random.default_rng(0).normal(size=(50, 3)), AllocationSpec("hrp-typo"))


def test_erc_matches_skfolio_risk_budgeting():
    """Independent oracle: skfolio's RiskBudgeting (convex solver) on the bundled returns."""
    pytest.importorskip("skfolio")
    from skfolio.optimization import RiskBudgeting

    history = load_prices(bundled=FACTOR_ETFS)
    returns = simple_returns(history.closes)[-252:]
    ours = erc_weights(sample_covariance(returns))
    model = RiskBudgeting().fit(returns)
    np.testing.assert_allclose(ours, model.weights_, atol=2e-5)
    # and ours is the tighter solution of the two
    cov = sample_covariance(returns)
    ours_err = np.abs(risk_contributions(ours, cov) - 0.2).max()
    theirs_err = np.abs(risk_contributions(model.weights_, cov) - 0.2).max()
    assert ours_err <= theirs_err


def nearly_singular_cov(seed: int, n: int = 6, decades: float = 7.0):
    """A correlation matrix with eigenvalues over ``decades`` decades, random budgets."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    corr = (q * np.logspace(0, -decades, n)) @ q.T
    d = np.sqrt(np.diag(corr))
    vol = rng.uniform(0.005, 0.03, n)
    b = rng.dirichlet(np.ones(n)) + 1e-3
    return corr / np.outer(d, d) * np.outer(vol, vol), b / b.sum()


@pytest.mark.parametrize("seed", [16, 25, 36, 40, 50])
def test_erc_converges_on_a_nearly_singular_correlation(seed):
    """Rounding in (Cy)_i keeps the contributions ~cond(C)·1e-16 from the budgets; Newton
    used to run out of steps ("did not converge") instead of stopping at that floor."""
    cov, b = nearly_singular_cov(seed)
    w = erc_weights(cov, b)
    assert np.all(w > 0) and w.sum() == pytest.approx(1.0, abs=1e-14)
    np.testing.assert_allclose(risk_contributions(w, cov), b, rtol=1e-7)


def test_erc_stops_at_a_rounding_floor_above_the_fixed_one():
    """Two all but perfectly anticorrelated assets (ρ = −0.9999998, the bounded
    risk-budgeting fuzzer's seed 2059754): the decrement² settled at 4e-20, above the 1e-20
    floor, and Newton alternated between two points until it ran out of steps."""
    from rp_tui.domain.allocation import erc_weights_many
    from tests.domain.test_bounded_rb import feasible_case

    case = feasible_case(2059754)
    cov, b = case["cov"], case["budgets"]
    w = erc_weights(cov, b)
    np.testing.assert_allclose(risk_contributions(w, cov), b, rtol=1e-7)
    assert np.array_equal(erc_weights_many(cov[None], b)[0], w)
