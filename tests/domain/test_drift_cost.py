import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rp_tui.domain.drift_cost import drift_cost, drift_cost_removed


def test_one_asset_two_points_off_at_15_percent_volatility():
    daily = np.array([[0.15**2 / 252]])
    # ½ × 4 × 0.02² × 0.15² × 100,000 = 1.80 a year
    assert drift_cost(np.array([0.02]), daily, 4.0, 100_000) == pytest.approx(1.80)
    assert drift_cost_removed(np.array([0.02]), np.array([-0.02]), daily, 4.0, 100_000)[
        0
    ] == pytest.approx(1.80)


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 6), st.integers(0, 10_000))
def test_removed_cost_is_the_difference_of_costs(n, seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, n)) * 0.01
    cov = a @ a.T + np.eye(n) * 1e-5
    drift = rng.normal(size=n) * 0.03
    trades = rng.normal(size=n) * 0.03
    removed = drift_cost_removed(drift, trades, cov, 3.0, 50_000)
    for i in range(n):
        after = drift.copy()
        after[i] += trades[i]
        expected = drift_cost(drift, cov, 3.0, 50_000) - drift_cost(after, cov, 3.0, 50_000)
        assert removed[i] == pytest.approx(expected, rel=1e-9, abs=1e-12)
