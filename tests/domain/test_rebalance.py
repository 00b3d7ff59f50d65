from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rp_tui.domain.fee_model import FeeSchedule, FeeTable
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
    assert np.all(q[in_band] >= 0), "assets inside the band are never sold"
    if in_band.all():
        assert not q.any(), "nothing outside the band: no trade"
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


@st.composite
def accounts_and_rules(draw):
    held, prices, cash, targets, rules, fees, fx = draw(accounts())
    rules = RebalanceRules(
        band=rules.band,
        cash_buffer=rules.cash_buffer,
        relative_band=draw(st.booleans()),
        rebalance_all=draw(st.booleans()),
        mode=draw(st.sampled_from(["full", "buy-only", "sell-only"])),
        min_trade_value=draw(st.sampled_from([0.0, 100.0])),
        max_commission_ratio=draw(st.sampled_from([float("inf"), 0.01])),
        slippage_bp=draw(st.sampled_from([0.0, 5.0])),
    )
    return held, prices, cash, targets, rules, fees, fx


@settings(max_examples=400, deadline=None)
@given(accounts_and_rules())
def test_sizing_invariants_in_every_mode(account):
    held, prices, cash, targets, rules, fees, fx = account
    if cash + (held * prices * fx).sum() <= 0:
        return
    plan = plan_rebalance(held, prices, cash, targets, rules, fees, fx)
    q = plan.quantities
    assert np.all(q == np.round(q)) and np.all(held + q >= 0)
    if rules.mode == "buy-only":
        assert np.all(q >= 0)
    if rules.mode == "sell-only":
        assert np.all(q <= 0)
    if q.max(initial=0) > 0:
        assert plan.cash_after >= rules.cash_buffer * plan.nav - 1e-6
    traded_value = np.abs(q) * plan.fill_prices * fx
    assert np.all(traded_value[q != 0] >= rules.min_trade_value - 1e-9)
    expected_cash = cash - ((q * plan.fill_prices + plan.commissions) * fx).sum()
    assert plan.cash_after == pytest.approx(expected_cash)


def test_water_fill_serves_the_largest_gap_first():
    from rp_tui.domain.share_fitting import water_fill

    np.testing.assert_allclose(water_fill(np.array([5.0, 1.0, 3.0]), 3.0), [2.5, 0.0, 0.5])
    np.testing.assert_allclose(water_fill(np.array([5.0, 1.0, 3.0]), 100.0), [5.0, 1.0, 3.0])
    assert not water_fill(np.array([5.0, 1.0]), -1.0).any()


TWO = FeeTable([US_FIXED, US_FIXED])


def test_buy_only_spends_cash_on_the_most_underweight():
    # 60/40 of 10,000 invested plus 1,000 new cash; targets 50/50 → all cash to the second
    plan = plan_rebalance(
        np.array([60.0, 40.0]),
        np.array([100.0, 100.0]),
        1_000.0,
        np.array([0.5, 0.5]),
        RebalanceRules(mode="buy-only"),
        TWO,
    )
    assert plan.quantities.tolist() == [0.0, 9.0]  # 900 + 1 commission fits, 10 shares do not


def test_sell_only_raises_a_withdrawal_from_the_most_overweight():
    plan = plan_rebalance(
        np.array([70.0, 30.0]),
        np.array([100.0, 100.0]),
        0.0,
        np.array([0.5, 0.5]),
        RebalanceRules(mode="sell-only"),
        TWO,
        withdraw=1_500.0,
    )
    assert plan.quantities[1] == 0 and plan.quantities[0] <= -15
    assert plan.cash_after >= 1_500.0 - 1.0 - 1e-9  # minus at most the commission


def test_relative_band_and_rebalance_all():
    held, prices = np.array([22.0, 78.0]), np.array([100.0, 100.0])
    targets = np.array([0.2, 0.8])  # drift +2 pp / −2 pp: 10 % / 2.5 % relative
    absolute = plan_rebalance(held, prices, 0.0, targets, RebalanceRules(band=0.03), TWO)
    relative = plan_rebalance(
        held, prices, 0.0, targets, RebalanceRules(band=0.05, relative_band=True), TWO
    )
    assert not absolute.quantities.any()
    # only the first leaves its band; its proceeds buy what they can of the underweight one
    assert relative.quantities[0] == -2 and relative.quantities[1] == 1
    both = plan_rebalance(
        held,
        prices,
        0.0,
        targets,
        RebalanceRules(band=0.05, relative_band=True, rebalance_all=True),
        TWO,
    )
    assert both.quantities[0] == -2 and both.quantities[1] == 1


def test_small_or_dear_trades_are_skipped_and_slippage_costs():
    held, prices, targets = np.array([51.0, 49.0]), np.array([100.0, 100.0]), np.array([0.5, 0.5])
    assert plan_rebalance(held, prices, 0.0, targets, RebalanceRules(), TWO).quantities.any()
    assert not plan_rebalance(
        held, prices, 0.0, targets, RebalanceRules(min_trade_value=500.0), TWO
    ).quantities.any()
    assert not plan_rebalance(
        held, prices, 0.0, targets, RebalanceRules(max_commission_ratio=0.005), TWO
    ).quantities.any()
    slipped = plan_rebalance(
        np.zeros(2), prices, 1_000.0, targets, RebalanceRules(slippage_bp=50), TWO
    )
    assert slipped.fill_prices[0] == pytest.approx(100.5)


def test_selling_a_fractional_holding_keeps_the_fractional_minimum():
    """A whole-share plan sells all of 10.6 held shares (no more than held): that order is
    fractional, so IBKR's fractional minimum (USD 0.01) applies, not the USD 1.00 one."""
    fees = FeeTable([replace(US_FIXED, fractional_minimum=0.01)] * 2)
    plan = plan_rebalance(
        np.array([10.6, 0.0]),
        np.array([100.0, 50.0]),
        0.0,
        np.array([0.0, 1.0]),
        RebalanceRules(),
        fees,
    )
    assert plan.quantities[0] == -10.6
    assert plan.commissions[0] == pytest.approx(0.005 * 10.6)
