"""The last stage of sizing, pinned on hand-built accounts (mutation score, issue #10).

Leftover cash buys whole shares one at a time, each for the asset whose extra share brings
the account closest to target, while the share fits (cash after every fee stays at the
floor) and helps (the distance falls); never an asset that is sold, frozen, at or above its
target, or whose order the minimum-trade / commission rules refuse. A conversion commission
is paid like any fee. Checked against a plain re-pricing of every candidate at every step,
on exact hand-computed accounts and on seeded random ones.
"""

import numpy as np
import pytest

from rp_tui.domain.fee_model import NO_FEES, FeeTable
from rp_tui.domain.sizing_checks import (
    CASH_EPS,
    Account,
    spend_leftovers,
)
from tests.domain.sizing_cases import (
    LSE_GBP,
    US_FIXED,
    account,
    everything,
    from_nothing,
    idealpro,
    min_value,
)


def reference_top_up(signed, acc, floor, allowed, acceptable, cash):
    """The rule as stated, re-pricing every candidate from scratch at every step."""
    signed = np.array(signed, dtype=float)
    n = len(signed)
    distance = acc.distance(signed, cash)
    for _ in range(4 * n):
        best = None
        for i in range(n):
            value = (acc.held[i] + signed[i]) * acc.unit_values[i]
            if not allowed[i] or signed[i] < 0 or value >= acc.target_values[i]:
                continue
            if acc.buy_prices[i] * acc.fx[i] > cash - floor:
                continue
            trial = signed.copy()
            trial[i] += 1.0
            trial_cash = acc.cash_after(trial)
            if trial_cash < floor - CASH_EPS or not acceptable(trial)[i]:
                continue
            d = acc.distance(trial, trial_cash)
            if best is None or d < best[0]:
                best = (d, i, trial_cash)
        if best is None or not best[0] < distance:
            break
        distance, i, cash = best
        signed[i] += 1.0
    return signed, cash


# -- spend_leftovers: exact accounts ------------------------------------------------------


def test_leftovers_go_to_the_asset_that_brings_the_account_closest():
    """4 shares at 10 and 1 at 25, cash 35 (NAV 100), targets 50 / 50, no fees: distance
    0.1 + 0.25 + 0.35 = 0.7. A share at 10 would leave 0.5, one at 25 leaves 0.2: the 25
    share first, then the 10 share reaches the target exactly (distance 0, cash 0)."""
    acc = account([4, 1], [10.0, 25.0], 35.0, [50.0, 50.0], 0.0)
    assert acc.hold_distance() == pytest.approx(0.7)
    signed, cash = from_nothing(spend_leftovers, acc, 0.0)
    assert signed.tolist() == [1.0, 1.0]
    assert cash == pytest.approx(0.0)
    assert acc.distance(signed, cash) == pytest.approx(0.0)
    only_one = account([4, 1], [10.0, 25.0], 25.0, [50.0, 50.0], 0.0)  # NAV 90: one share
    signed, cash = from_nothing(spend_leftovers, only_one, 0.0)
    assert signed.tolist() == [0.0, 1.0] and cash == pytest.approx(0.0)


def test_leftovers_fill_one_asset_share_by_share_up_to_its_target():
    """One asset at 10 with a target of 45 of 100, nothing held, cash 100: four shares (40);
    a fifth would overshoot to 50 and the rule stops below target; cash 60 ≥ floor 0."""
    acc = account([0], [10.0], 100.0, [45.0], 55.0)
    signed, cash = from_nothing(spend_leftovers, acc, 0.0)
    assert signed.tolist() == [4.0]
    assert cash == pytest.approx(60.0)


def test_the_floor_and_every_commission_are_kept():
    """Cash 40, floor 10, LSE GBP Fixed (GBP 3.00 minimum per order): one share at 10
    leaves 27, two leave 17, three would leave 7 < 10: two shares, cash 17. US Fixed is
    capped at 1 % of value (0.10 a share here): two shares leave 40 − 20 − 0.20 = 19.80."""
    lse = account([0], [10.0], 40.0, [100.0], 0.0, fees=FeeTable([LSE_GBP]))
    signed, cash = from_nothing(spend_leftovers, lse, 10.0)
    assert signed.tolist() == [2.0]
    assert cash == pytest.approx(17.0)
    us = account([0], [10.0], 40.0, [100.0], 0.0, fees=FeeTable([US_FIXED]))
    signed, cash = from_nothing(spend_leftovers, us, 10.0)
    assert signed.tolist() == [2.0]
    assert cash == pytest.approx(19.80)


def test_exactly_the_floor_is_allowed():
    """Cash 23, floor 10, LSE GBP Fixed: one share at 10 leaves 23 − 10 − 3 = 10, exactly
    the floor: bought; with cash 22.99 it is not."""
    acc = account([0], [10.0], 23.0, [100.0], 0.0, fees=FeeTable([LSE_GBP]))
    signed, cash = from_nothing(spend_leftovers, acc, 10.0)
    assert signed.tolist() == [1.0]
    assert cash == pytest.approx(10.0)
    short = account([0], [10.0], 22.99, [100.0], 0.0, fees=FeeTable([LSE_GBP]))
    signed, cash = from_nothing(spend_leftovers, short, 10.0)
    assert signed.tolist() == [0.0] and cash == 22.99


def test_a_share_that_does_not_fit_in_foreign_money_is_not_bought():
    """A GBP listing at GBP 10 with fx 1.27 costs 12.70 base a share: cash 25 buys one, not
    two (25.40); with fx 0.8 (8.00) the same cash buys three."""
    dear = account([0], [10.0], 25.0, [1000.0], 0.0, fx=[1.27])
    signed, cash = from_nothing(spend_leftovers, dear, 0.0)
    assert signed.tolist() == [1.0] and cash == pytest.approx(12.30)
    cheap = account([0], [10.0], 25.0, [1000.0], 0.0, fx=[0.8])
    signed, cash = from_nothing(spend_leftovers, cheap, 0.0)
    assert signed.tolist() == [3.0] and cash == pytest.approx(1.0)


def test_sold_frozen_and_refused_assets_are_never_topped_up():
    """Four assets at 10, each far below target, cash 100: asset 0 is being sold (−1), asset
    1 is frozen, asset 2's orders are below the minimum trade of 25 (one share is 10), so
    only asset 3 is bought."""
    acc = account([5, 0, 0, 0], [10.0] * 4, 100.0, [500.0] * 4, 0.0)
    allowed = np.array([True, False, True, True])

    def refuse_2(q):  # asset 2's orders are refused, whatever their size
        return np.broadcast_to(np.arange(4) != 2, np.shape(q))

    signed = np.array([-1.0, 0.0, 0.0, 0.0])
    cash = acc.cash_after(signed)
    out, cash_out = spend_leftovers(signed, acc, 0.0, allowed, refuse_2, cash)
    assert out[:3].tolist() == [-1.0, 0.0, 0.0]
    assert out[3] == 4.0  # four top-ups per asset at most
    assert cash_out == pytest.approx(110.0 - 40.0)


def test_an_order_is_judged_with_its_next_share():
    """Minimum trade 25: asset A (10 a share) already buys 2 (20), so its order after one
    more share (30) passes, and A is topped up to its target of 40 (4 shares); asset B
    (5 held at 10, target 60) would need an order of one share (10 < 25): refused, the
    cash 10 left idle. NAV 100, cash 50, cash target 0."""
    acc = account([0, 5], [10.0, 10.0], 50.0, [40.0, 60.0], 0.0)
    signed = np.array([2.0, 0.0])
    cash = acc.cash_after(signed)
    out, cash = spend_leftovers(signed, acc, 0.0, np.ones(2, bool), min_value(acc, 25.0), cash)
    assert out.tolist() == [4.0, 0.0]
    assert cash == pytest.approx(10.0)
    free = spend_leftovers(signed, acc, 0.0, np.ones(2, bool), everything, 30.0)
    assert free[0].tolist() == [4.0, 1.0]  # without the rule B's share is bought


def test_a_share_that_only_moves_drift_from_cash_to_an_asset_is_not_bought():
    """NAV 128: asset A 0.5 under target, B 0.75 over, cash 0.25 under its target (the floor
    is 0): buying A only moves drift from A to cash, the distance stays 1.5 — so nothing is
    bought. (Every figure a sum of powers of two: exact in floating point.)"""
    acc = account([0, 96], [16.0, 1.0], 32.0, [64.0, 0.0], 64.0)
    assert acc.hold_distance() == 1.5
    assert acc.distance(np.array([1.0, 0.0])) == 1.5
    signed, cash = from_nothing(spend_leftovers, acc, 0.0)
    assert signed.tolist() == [0.0, 0.0] and cash == 32.0
    share_by_share = account(
        [0, 96], [16.0, 1.0], 32.0, [64.0, 0.0], 64.0, conversion=lambda q: 0.0
    )
    out = from_nothing(spend_leftovers, share_by_share, 0.0)
    assert out[0].tolist() == [0.0, 0.0] and out[1] == 32.0


def test_no_leftover_no_top_up_and_no_wanted_asset_no_top_up():
    """Every allowed asset at or above target: the orders come back unchanged."""
    acc = account([5, 5], [10.0, 10.0], 100.0, [50.0, 40.0], 110.0)
    signed, cash = from_nothing(spend_leftovers, acc, 0.0)
    assert signed.tolist() == [0.0, 0.0] and cash == 100.0


# -- spend_leftovers: against the rule on random accounts ---------------------------------


def random_case(rng: np.random.Generator, conversion: bool):
    """A seeded account as the sizer builds it: fees, FX, slippage, some sells and buys,
    small leftovers; targets that sum to NAV less the cash buffer, which is the floor (so cash
    above the floor is above its own target and a share bought never merely moves drift)."""
    n = int(rng.integers(2, 6))
    prices = np.round(rng.uniform(3.0, 120.0, n), 2)
    foreign = rng.random(n) < 0.5
    fx = np.where(foreign, rng.choice([1.27, 0.85]), 1.0)
    held = rng.integers(0, 30, n).astype(float)
    fees = FeeTable(
        [LSE_GBP if f else (US_FIXED if rng.random() < 0.7 else NO_FEES) for f in foreign]
    )
    cash = float(rng.choice([0.0, 50.0, 200.0, 600.0])) + rng.uniform(0, 100)
    nav = float((held * prices * fx).sum()) + cash
    buffer = float(rng.choice([0.0, 0.01, 0.03]))
    target_values = rng.dirichlet(np.ones(n)) * (1 - buffer) * nav
    slip = float(rng.choice([0.0, 0.0005]))
    sells = np.where(rng.random(n) < 0.3, -np.minimum(held, rng.integers(1, 4, n)), 0.0)
    signed = np.where(rng.random(n) < 0.3, rng.integers(1, 4, n), sells)  # some already bought
    # IDEALPRO at its minimum, or a rate alone (1 %: every share changes the conversion)
    rate, minimum = (0.00002, 2.0) if rng.random() < 0.5 else (0.01, 0.0)
    acc = account(
        held,
        prices,
        cash,
        target_values,
        nav - target_values.sum(),
        fees=fees,
        fx=fx,
        slip=slip,
        conversion=idealpro(foreign, prices, fx, rate, minimum) if conversion else None,
    )
    allowed = rng.random(n) < 0.85
    rule = float(rng.choice([0.0, 0.0, 40.0]))
    return acc, signed, buffer * nav, allowed, min_value(acc, rule)


@pytest.mark.parametrize("conversion", [False, True], ids=["no-conversion", "idealpro"])
def test_top_ups_follow_the_rule_on_random_accounts(conversion):
    """200 seeded accounts: the same orders and cash as re-pricing every candidate at every
    step; cash after never below the floor (once a share is bought); never further from
    target."""
    rng = np.random.default_rng(20261201)
    bought = 0
    for _ in range(200):
        acc, signed, floor, allowed, acceptable = random_case(rng, conversion)
        cash = acc.cash_after(signed)
        got, got_cash = spend_leftovers(signed, acc, floor, allowed, acceptable, cash)
        want, want_cash = reference_top_up(signed, acc, floor, allowed, acceptable, cash)
        np.testing.assert_array_equal(got, want)
        assert got_cash == pytest.approx(want_cash, abs=1e-9)
        assert got_cash == pytest.approx(acc.cash_after(got), abs=1e-9)
        if (got > signed).any():
            bought += 1
            assert got_cash >= floor - CASH_EPS
            assert acc.distance(got, got_cash) < acc.distance(signed, cash)
    assert bought > 60  # the cases do exercise the top-up


def test_a_free_conversion_changes_no_order():
    """An account whose conversion costs nothing sizes exactly like one without any."""
    rng = np.random.default_rng(7)
    for _ in range(60):
        acc, signed, floor, allowed, acceptable = random_case(rng, False)
        free = Account(
            acc.held,
            acc.prices,
            acc.buy_prices,
            acc.sell_prices,
            acc.fx,
            acc.cash,
            acc.target_values,
            acc.cash_target,
            acc.fees,
            lambda q: 0.0,
        )
        cash = acc.cash_after(signed)
        a = spend_leftovers(signed, acc, floor, allowed, acceptable, cash)
        b = spend_leftovers(signed, free, floor, allowed, acceptable, cash)
        np.testing.assert_array_equal(a[0], b[0])
        assert a[1] == pytest.approx(b[1], abs=1e-9)


def test_the_first_foreign_share_pays_the_conversion_minimum():
    """A GBP listing at GBP 10 (fx 1.25: 12.50 a share), cash 40, no commission, IDEALPRO
    (0.2 bp, min 2.00): the first share costs 12.50 + 2.00, later ones 12.50 (the flow stays
    far below the minimum's 100,000): three shares, cash 40 − 37.50 − 2.00 = 0.50."""
    foreign = np.array([True])
    prices, fx = np.array([10.0]), np.array([1.25])
    acc = account([0], prices, 40.0, [1000.0], 0.0, fx=fx, conversion=idealpro(foreign, prices, fx))
    signed, cash = from_nothing(spend_leftovers, acc, 0.0)
    assert signed.tolist() == [3.0]
    assert cash == pytest.approx(40.0 - 37.5 - 2.0)


def test_a_conversion_is_charged_on_the_net_flow_when_topping_up():
    """Selling 2 GBP shares (GBP 10, fx 1.25: 25.00 in) already pays one conversion (2.00
    minimum): cash 23. Topping up a GBP listing at GBP 8 (10.00 a share, target 25) nets
    against that flow: no second conversion, two shares, cash 23 − 20 = 3.00."""
    foreign = np.array([True, True])
    prices, fx = np.array([10.0, 8.0]), np.array([1.25, 1.25])
    acc = account(
        [4, 0], prices, 0.0, [25.0, 25.0], 0.0, fx=fx, conversion=idealpro(foreign, prices, fx)
    )
    signed = np.array([-2.0, 0.0])
    cash = acc.cash_after(signed)
    assert cash == pytest.approx(23.0)
    out, cash_out = spend_leftovers(signed, acc, 0.0, np.ones(2, bool), everything, cash)
    assert out.tolist() == [-2.0, 2.0]
    assert cash_out == pytest.approx(3.0)


# -- Account: valuation, cash and distance ------------------------------------------------


def test_a_foreign_listing_is_valued_and_paid_in_base_currency():
    """4 shares of a GBP listing at GBP 10 with fx 1.25 are worth 50.00 base; with cash 50
    and targets 60 / cash 40 the account is 0.1 + 0.1 = 0.2 from target. Buying 1 share with
    10 bp slippage pays GBP 10.01 = 12.5125 base, selling 1 brings GBP 9.99 = 12.4875."""
    acc = account([4], [10.0], 50.0, [60.0], 40.0, fx=[1.25], slip=0.001)
    assert acc.unit_values.tolist() == [12.5]
    assert acc.hold_distance() == pytest.approx(0.2)
    assert acc.cash_after(np.array([1.0])) == pytest.approx(50.0 - 12.5125)
    assert acc.cash_after(np.array([-1.0])) == pytest.approx(50.0 + 12.4875)
    assert acc.cash_after(np.array([2.0])) == pytest.approx(50.0 - 25.025)


def test_distance_prices_the_orders_itself_when_no_cash_is_given():
    """``distance(signed)`` is ``distance(signed, cash_after(signed))``: 1 more share at
    12.50 base leaves cash 37.50, values 62.50 / 37.50 of 100: 0.025 + 0.025 = 0.05."""
    acc = account([4], [10.0], 50.0, [60.0], 40.0, fx=[1.25], fees=FeeTable([LSE_GBP]))
    one = np.array([1.0])
    assert acc.distance(one) == acc.distance(one, acc.cash_after(one))
    free = account([4], [10.0], 50.0, [60.0], 40.0, fx=[1.25])
    assert free.distance(one) == pytest.approx(0.05)


@pytest.mark.parametrize("cash", [0.0, -100.0])
def test_an_account_worth_nothing_or_less_is_infinitely_far(cash):
    """No holdings and cash 0 (NAV 0) or overdrawn (NAV < 0): no weights exist, the
    distance is infinite (so no plan is ever judged closer by it)."""
    acc = account([0, 0], [10.0, 10.0], cash, [50.0, 50.0], 0.0)
    assert acc.distance(np.zeros(2), cash) == float("inf")
    assert acc.hold_distance() == float("inf")
