import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rp_tui.domain.allocation import erc_weights
from rp_tui.domain.mixture import fit_gaussian_mixture
from rp_tui.domain.returns import sample_covariance, simple_returns
from rp_tui.domain.risk_measures import correlation, risk_decomposition, value_at_risk
from rp_tui.inputs.bundled_data import FACTOR_ETFS
from rp_tui.inputs.prices import load_prices


@pytest.fixture(scope="module")
def returns():
    return simple_returns(load_prices(bundled=FACTOR_ETFS).closes)[-756:]


def test_parametric_var_is_the_normal_closed_form():
    rng = np.random.default_rng(3)
    r = rng.normal(0.0004, 0.01, size=(2000, 1))
    mu, sigma = r.mean(), r.std(ddof=1)
    (one,) = value_at_risk(r, np.ones(1), (0.95,), (1,), ("parametric",))
    assert one.var == pytest.approx(1.6448536269514722 * sigma - mu)
    assert one.cvar == pytest.approx(sigma * 0.10313564037537128 / 0.05 - mu)
    (month,) = value_at_risk(r, np.ones(1), (0.99,), (21,), ("parametric",))
    assert month.var == pytest.approx(2.3263478740408408 * sigma * np.sqrt(21) - 21 * mu)


def test_historical_var_is_the_empirical_quantile():
    daily = np.linspace(-0.05, 0.049, 100)[:, None]  # losses of 5 %, 4.9 % … in 1 % steps
    (v,) = value_at_risk(daily, np.ones(1), (0.95,), (1,), ("historical",))
    assert v.var == pytest.approx(-np.quantile(daily, 0.05))
    assert v.cvar == pytest.approx(-daily[daily <= np.quantile(daily, 0.05)].mean())


def test_monte_carlo_matches_parametric_on_normal_data_and_is_reproducible():
    rng = np.random.default_rng(5)
    r = rng.multivariate_normal([0.0003, 0.0002], [[1e-4, 4e-5], [4e-5, 2e-4]], size=3000)
    w = np.array([0.6, 0.4])
    mc = value_at_risk(r, w, (0.95,), (1, 21), ("monte-carlo",), paths=20_000, components=1)
    normal = value_at_risk(r, w, (0.95,), (1, 21), ("parametric",))
    for a, b in zip(mc, normal, strict=True):
        assert a.var == pytest.approx(b.var, rel=0.06)
    again = value_at_risk(r, w, (0.95,), (1, 21), ("monte-carlo",), paths=20_000, components=1)
    assert [e.var for e in again] == [e.var for e in mc]
    other = value_at_risk(r, w, (0.95,), (1,), ("monte-carlo",), paths=20_000, seed=9, components=1)
    assert other[0].var != mc[0].var


def test_bundled_data_orders_sensibly(returns):
    w = np.full(5, 0.2)
    by = {(e.method, e.confidence, e.horizon_days): e for e in value_at_risk(returns, w)}
    for method in ("historical", "parametric", "monte-carlo"):
        assert by[method, 0.99, 1].var > by[method, 0.95, 1].var
        assert by[method, 0.95, 21].var > by[method, 0.95, 1].var
        assert all(e.cvar >= e.var for e in by.values())


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), confidence=st.floats(0.8, 0.995))
def test_cvar_is_never_below_var(seed, confidence):
    r = np.random.default_rng(seed).standard_t(4, size=(400, 3)) * 0.01
    for e in value_at_risk(
        r, np.array([0.5, 0.3, 0.2]), (confidence,), (1, 5), ("historical", "parametric")
    ):
        assert e.cvar >= e.var - 1e-12


def test_decomposition_of_erc_and_single_assets(returns):
    cov = sample_covariance(returns)
    d = risk_decomposition(erc_weights(cov), cov)
    np.testing.assert_allclose(d.share, 0.2, rtol=1e-8)
    assert d.contribution.sum() == pytest.approx(d.portfolio_volatility)
    assert d.effective_bets == pytest.approx(5.0)
    assert d.diversification_ratio > 1.0
    single = risk_decomposition(np.array([1.0, 0, 0, 0, 0]), cov)
    assert single.diversification_ratio == pytest.approx(1.0)
    assert single.effective_bets == pytest.approx(1.0)
    half_cash = risk_decomposition(erc_weights(cov) / 2, cov)
    assert half_cash.portfolio_volatility == pytest.approx(d.portfolio_volatility / 2)
    np.testing.assert_allclose(np.diag(correlation(cov)), 1.0)


def test_mixture_recovers_known_components_and_matches_sklearn():
    rng = np.random.default_rng(11)
    calm = rng.multivariate_normal([0.001, 0.0005], np.diag([1e-4, 5e-5]), size=1500)
    storm = rng.multivariate_normal([-0.004, -0.003], np.diag([9e-4, 6e-4]), size=500)
    x = np.vstack([calm, storm])
    fit = fit_gaussian_mixture(x, components=2, seed=0)
    order = np.argsort(fit.weights)[::-1]
    np.testing.assert_allclose(fit.weights[order], [0.75, 0.25], atol=0.05)
    np.testing.assert_allclose(fit.means[order[1]], [-0.004, -0.003], atol=0.002)
    assert fit.converged
    sklearn = pytest.importorskip("sklearn.mixture")
    oracle = sklearn.GaussianMixture(2, covariance_type="full", random_state=0).fit(x)
    assert fit.log_likelihood >= oracle.score(x) - 1e-3
    draws = fit.sample(20_000, np.random.default_rng(1))
    np.testing.assert_allclose(draws.mean(axis=0), x.mean(axis=0), atol=3e-4)
