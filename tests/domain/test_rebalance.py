import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rp_tui.domain.fees import FeeSchedule, FeeTable
from rp_tui.domain.rebalance import RebalanceRules, plan_rebalance

US_FIXED = FeeSchedule(
    key="us", name="us", currency="USD", per_share=0.005, minimum=1.0, max_rate_of_value=0.01
)
LSE_FIXED = FeeSchedule(key="lse", name="lse", currency="GBP", rate_of_value=0.0005, minimum=3.0)


@st.composite
def accounts(draw):
    n = draw(st.integers(2, 8))
    held = np.array(draw(st.lists(st.integers(0, 5000), min_size=n, max_size=n)), dtype=float)
    prices = np.array(draw(st.lists(st.floats(0.5, 2000), min_size=n, max_size=n)))
    raw = np.array(draw(st.lists(st.floats(0.01, 1.0), min_size=n, max_size=n)))
    cash = draw(st.floats(0, 200_000))
    band = draw(st.sampled_from([0.0, 0.005, 0.02, 0.05]))
    buffer = draw(st.sampled_from([0.0, 0.01, 0.05]))
    schedules = draw(st.lists(st.sampled_from([US_FIXED, LSE_FIXED]), min_size=n, max_size=n))
    fx = np.array(draw(st.lists(st.sampled_from([1.0, 1.27, 0.8]), min_size=n, max_size=n)))
    return (
        held,
        prices,
        cash,
        raw / raw.sum(),
        RebalanceRules(band, buffer),
        FeeTable(schedules),
        fx,
    )


@settings(max_examples=400, deadline=None)
@given(accounts())
def test_sizing_invariants(account):
    held, prices, cash, targets, rules, fees, fx = account
    if cash + (held * prices * fx).sum() <= 0:
        return
    plan = plan_rebalance(held, prices, cash, targets, rules, fees, fx)
    q = plan.quantities
    assert np.all(q == np.round(q)), "whole shares only"
    assert np.all(held + q >= 0), "never sells more than held"
    in_band = np.abs(plan.drift) <= rules.band
    assert np.all(q[in_band] == 0), "assets inside the band are not traded"
    assert plan.cash_after >= -1e-6 or q.max(initial=0) <= 0, "buys never overdraw cash"
    if q.max(initial=0) > 0:
        assert plan.cash_after >= rules.cash_buffer * plan.nav - 1e-6, "buys respect the buffer"
    expected_cash = cash - ((q * prices + plan.commissions) * fx).sum()
    assert plan.cash_after == pytest.approx(expected_cash)
    assert np.all(plan.commissions[q == 0] == 0)


def test_seeded_like_example_sells_before_it_buys():
    held = np.array([100.0, 100.0])
    prices = np.array([120.0, 80.0])  # 60 % / 40 % of an all-invested NAV of 20,000
    plan = plan_rebalance(
        held, prices, 0.0, np.array([0.5, 0.5]), RebalanceRules(), FeeTable([US_FIXED, US_FIXED])
    )
    assert plan.quantities[0] == -17  # sell ~2,000 of the first (rounded to 17 shares)
    # buys spend the sale proceeds less every commission, no more
    assert plan.quantities[1] == 25
    assert plan.cash_after == pytest.approx(17 * 120 - 25 * 80 - 2.0)
    assert plan.cash_after >= 0


def test_band_leaves_small_drift_alone():
    plan = plan_rebalance(
        np.array([51.0, 49.0]),
        np.array([100.0, 100.0]),
        0.0,
        np.array([0.5, 0.5]),
        RebalanceRules(band=0.02),
        FeeTable([US_FIXED, US_FIXED]),
    )
    assert not plan.quantities.any()


def test_fractional_shares_reach_targets_without_fees():
    free = FeeSchedule(key="none", name="none", currency="")
    plan = plan_rebalance(
        np.zeros(3),
        np.array([10.0, 20.0, 30.0]),
        1000.0,
        np.array([0.2, 0.3, 0.5]),
        RebalanceRules(whole_shares=False),
        FeeTable([free] * 3),
    )
    np.testing.assert_allclose(plan.quantities * [10, 20, 30], [200, 300, 500], rtol=1e-9)


def test_bad_price_is_refused():
    with pytest.raises(ValueError, match="finite and > 0"):
        plan_rebalance(
            np.ones(2),
            np.array([10.0, np.nan]),
            0.0,
            np.array([0.5, 0.5]),
            RebalanceRules(),
            FeeTable([US_FIXED] * 2),
        )
