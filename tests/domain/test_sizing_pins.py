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

from rp_tui.domain.fee_model import NO_FEES, FeeSchedule, FeeTable
from rp_tui.domain.sizing_checks import (
    CASH_EPS,
    Account,
    fill_deficits,
    finish_orders,
    keep_cash_floor,
    spend_leftovers,
)

# IBKR Fixed US (per share 0.005, min 1.00, cap 1 %) and LSE GBP Fixed (0.05 %, min 3.00),
# the figures of rp_tui/data/fees.toml
US_FIXED = FeeSchedule(
    key="us", name="us", currency="USD", per_share=0.005, minimum=1.0, max_rate_of_value=0.01
)
LSE_GBP = FeeSchedule(key="lse", name="lse", currency="GBP", rate_of_value=0.0005, minimum=3.0)


def account(
    held,
    prices,
    cash,
    target_values,
    cash_target,
    fees=None,
    fx=None,
    slip=0.0,
    conversion=None,
) -> Account:
    """An :class:`Account` from plain lists; fills ``slip`` (a fraction) worse than price."""
    prices = np.asarray(prices, dtype=float)
    n = len(prices)
    return Account(
        held=np.asarray(held, dtype=float),
        prices=prices,
        buy_prices=prices * (1 + slip),
        sell_prices=prices * (1 - slip),
        fx=np.ones(n) if fx is None else np.asarray(fx, dtype=float),
        cash=float(cash),
        target_values=np.asarray(target_values, dtype=float),
        cash_target=float(cash_target),
        fees=fees or FeeTable([NO_FEES] * n),
        conversion=conversion,
    )


def everything(q: np.ndarray) -> np.ndarray:
    """Rules that refuse nothing (no minimum trade, no commission ratio)."""
    return np.ones(np.shape(q), dtype=bool)


def min_value(acc: Account, amount: float):
    """The minimum-trade rule: an order moving less than ``amount`` (base) is refused."""
    return lambda q: np.abs(q) * acc.buy_prices * acc.fx >= amount


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


def idealpro(
    foreign: np.ndarray, acc_prices: np.ndarray, fx: np.ndarray, rate=0.00002, minimum=2.0
):
    """IBKR IDEALPRO on the net flow of the foreign listings (one currency): 0.2 bp of the
    base value converted, at least 2.00; nothing when no foreign order trades."""

    def fee(q: np.ndarray) -> float:
        flow = float((q * acc_prices * fx)[foreign].sum())
        return 0.0 if flow == 0 else max(minimum, rate * abs(flow))

    return fee


# -- spend_leftovers: exact accounts ------------------------------------------------------


def test_leftovers_go_to_the_asset_that_brings_the_account_closest():
    """4 shares at 10 and 1 at 25, cash 35 (NAV 100), targets 50 / 50, no fees: distance
    0.1 + 0.25 + 0.35 = 0.7. A share at 10 would leave 0.5, one at 25 leaves 0.2: the 25
    share first, then the 10 share reaches the target exactly (distance 0, cash 0)."""
    acc = account([4, 1], [10.0, 25.0], 35.0, [50.0, 50.0], 0.0)
    assert acc.hold_distance == pytest.approx(0.7)
    signed, cash = spend_leftovers(np.zeros(2), acc, 0.0, np.ones(2, bool), everything, 35.0)
    assert signed.tolist() == [1.0, 1.0]
    assert cash == pytest.approx(0.0)
    assert acc.distance(signed, cash) == pytest.approx(0.0)
    only_one = account([4, 1], [10.0, 25.0], 25.0, [50.0, 50.0], 0.0)  # NAV 90: one share
    signed, cash = spend_leftovers(np.zeros(2), only_one, 0.0, np.ones(2, bool), everything, 25.0)
    assert signed.tolist() == [0.0, 1.0] and cash == pytest.approx(0.0)


def test_leftovers_fill_one_asset_share_by_share_up_to_its_target():
    """One asset at 10 with a target of 45 of 100, nothing held, cash 100: four shares (40);
    a fifth would overshoot to 50 and the rule stops below target; cash 60 ≥ floor 0."""
    acc = account([0], [10.0], 100.0, [45.0], 55.0)
    signed, cash = spend_leftovers(np.zeros(1), acc, 0.0, np.ones(1, bool), everything, 100.0)
    assert signed.tolist() == [4.0]
    assert cash == pytest.approx(60.0)


def test_the_floor_and_every_commission_are_kept():
    """Cash 40, floor 10, LSE GBP Fixed (GBP 3.00 minimum per order): one share at 10
    leaves 27, two leave 17, three would leave 7 < 10: two shares, cash 17. US Fixed is
    capped at 1 % of value (0.10 a share here): two shares leave 40 − 20 − 0.20 = 19.80."""
    lse = account([0], [10.0], 40.0, [100.0], 0.0, fees=FeeTable([LSE_GBP]))
    signed, cash = spend_leftovers(np.zeros(1), lse, 10.0, np.ones(1, bool), everything, 40.0)
    assert signed.tolist() == [2.0]
    assert cash == pytest.approx(17.0)
    us = account([0], [10.0], 40.0, [100.0], 0.0, fees=FeeTable([US_FIXED]))
    signed, cash = spend_leftovers(np.zeros(1), us, 10.0, np.ones(1, bool), everything, 40.0)
    assert signed.tolist() == [2.0]
    assert cash == pytest.approx(19.80)


def test_exactly_the_floor_is_allowed():
    """Cash 23, floor 10, LSE GBP Fixed: one share at 10 leaves 23 − 10 − 3 = 10, exactly
    the floor: bought; with cash 22.99 it is not."""
    acc = account([0], [10.0], 23.0, [100.0], 0.0, fees=FeeTable([LSE_GBP]))
    signed, cash = spend_leftovers(np.zeros(1), acc, 10.0, np.ones(1, bool), everything, 23.0)
    assert signed.tolist() == [1.0]
    assert cash == pytest.approx(10.0)
    short = account([0], [10.0], 22.99, [100.0], 0.0, fees=FeeTable([LSE_GBP]))
    signed, cash = spend_leftovers(np.zeros(1), short, 10.0, np.ones(1, bool), everything, 22.99)
    assert signed.tolist() == [0.0] and cash == 22.99


def test_a_share_that_does_not_fit_in_foreign_money_is_not_bought():
    """A GBP listing at GBP 10 with fx 1.27 costs 12.70 base a share: cash 25 buys one, not
    two (25.40); with fx 0.8 (8.00) the same cash buys three."""
    dear = account([0], [10.0], 25.0, [1000.0], 0.0, fx=[1.27])
    signed, cash = spend_leftovers(np.zeros(1), dear, 0.0, np.ones(1, bool), everything, 25.0)
    assert signed.tolist() == [1.0] and cash == pytest.approx(12.30)
    cheap = account([0], [10.0], 25.0, [1000.0], 0.0, fx=[0.8])
    signed, cash = spend_leftovers(np.zeros(1), cheap, 0.0, np.ones(1, bool), everything, 25.0)
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
    assert acc.hold_distance == 1.5
    assert acc.distance(np.array([1.0, 0.0])) == 1.5
    signed, cash = spend_leftovers(np.zeros(2), acc, 0.0, np.ones(2, bool), everything, 32.0)
    assert signed.tolist() == [0.0, 0.0] and cash == 32.0
    share_by_share = account(
        [0, 96], [16.0, 1.0], 32.0, [64.0, 0.0], 64.0, conversion=lambda q: 0.0
    )
    out = spend_leftovers(np.zeros(2), share_by_share, 0.0, np.ones(2, bool), everything, 32.0)
    assert out[0].tolist() == [0.0, 0.0] and out[1] == 32.0


def test_no_leftover_no_top_up_and_no_wanted_asset_no_top_up():
    """Every allowed asset at or above target: the orders come back unchanged."""
    acc = account([5, 5], [10.0, 10.0], 100.0, [50.0, 40.0], 110.0)
    signed, cash = spend_leftovers(np.zeros(2), acc, 0.0, np.ones(2, bool), everything, 100.0)
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
    signed, cash = spend_leftovers(np.zeros(1), acc, 0.0, np.ones(1, bool), everything, 40.0)
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
    assert acc.hold_distance == pytest.approx(0.2)
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
    assert acc.hold_distance == float("inf")


# -- fill_deficits --------------------------------------------------------------------------


def test_the_largest_deficit_is_filled_first_down_to_a_common_level():
    """NAV 1,800 at 10 a share: A is 600 below target, B 300, C above; 400 spare above the
    floor of 100. Both are filled down to 250 below target: A 350 (35 shares), B 50 (5);
    cash exactly the floor."""
    acc = account([0, 30, 100], [10.0] * 3, 500.0, [600.0, 600.0, 500.0], 100.0)
    signed, cash = fill_deficits(np.zeros(3), acc, 100.0, np.ones(3, bool), everything, 500.0)
    assert signed.tolist() == [35.0, 5.0, 0.0]
    assert cash == 100.0


def test_deficits_are_filled_exactly_and_no_further():
    """A buys 5 and C sells 10 (cash 500 → 550, floor 150): A is 350 below target, B 50,
    C above and sold, D frozen 100 below. The 400 spare fills A and B exactly (35 and 5
    shares at 10), D stays untouched, cash exactly the floor."""
    acc = account([0, 30, 100, 0], [10.0] * 4, 500.0, [400.0, 350.0, 800.0, 100.0], 150.0)
    signed = np.array([5.0, 0.0, -10.0, 0.0])
    cash = acc.cash_after(signed)
    assert cash == 550.0
    allowed = np.array([True, True, True, False])
    out, cash_out = fill_deficits(signed, acc, 150.0, allowed, everything, cash)
    assert out.tolist() == [40.0, 5.0, -10.0, 0.0]
    assert cash_out == 150.0


def test_commissions_that_do_not_fit_trim_the_largest_buy_one_share():
    """Targets 100 at 1 a share and 300 at 100 a share, cash 500, floor 100, LSE GBP (GBP
    3.00 minimum each): 100 + 3 shares leave 500 − 400 − 6 = 94 < 100, so the largest buy
    (300 of B) loses one share: 100 + 2, cash 194."""
    acc = account([0, 0], [1.0, 100.0], 500.0, [100.0, 300.0], 100.0, fees=FeeTable([LSE_GBP] * 2))
    signed, cash = fill_deficits(np.zeros(2), acc, 100.0, np.ones(2, bool), everything, 500.0)
    assert signed.tolist() == [100.0, 2.0]
    assert cash == pytest.approx(194.0)


def test_a_fill_with_a_refused_order_is_not_made():
    """Minimum trade 25 at 10 a share: deficits of 300 (A) and 10 (B) and 310 spare would
    buy 30 + 1; B's one share (10) is refused, so the fill is not made at all (the top-up
    that follows buys share by share). Without B's deficit, A's 30 are bought even though B
    (no order) would itself fail the minimum."""
    acc = account([0, 0], [10.0, 10.0], 310.0, [300.0, 10.0], 0.0)
    rule = min_value(acc, 25.0)
    signed, cash = fill_deficits(np.zeros(2), acc, 0.0, np.ones(2, bool), rule, 310.0)
    assert signed.tolist() == [0.0, 0.0] and cash == 310.0
    no_b = account([0, 1], [10.0, 10.0], 300.0, [300.0, 10.0], 0.0)
    signed, cash = fill_deficits(np.zeros(2), no_b, 0.0, np.ones(2, bool), rule, 300.0)
    assert signed.tolist() == [30.0, 0.0] and cash == 0.0


def test_a_fill_that_costs_more_than_it_moves_is_not_made():
    """One share at 1 to fill a deficit of 1 (NAV 109) pays the GBP 3.00 LSE minimum: the
    account ends further from target (2/109 → about 0.052), so nothing is bought."""
    acc = account([0, 99], [1.0, 1.0], 10.0, [1.0, 99.0], 9.0, fees=FeeTable([LSE_GBP] * 2))
    signed, cash = fill_deficits(np.zeros(2), acc, 0.0, np.ones(2, bool), everything, 10.0)
    assert signed.tolist() == [0.0, 0.0] and cash == 10.0


def test_a_fill_that_only_moves_drift_to_cash_is_not_made():
    """The exact account of the top-up case (NAV 128, distance 1.5): filling A's deficit
    with 2 shares leaves the distance at 1.5, so the orders are unchanged."""
    acc = account([0, 96], [16.0, 1.0], 32.0, [64.0, 0.0], 64.0)
    assert acc.distance(np.array([2.0, 0.0])) == 1.5
    signed, cash = fill_deficits(np.zeros(2), acc, 0.0, np.ones(2, bool), everything, 32.0)
    assert signed.tolist() == [0.0, 0.0] and cash == 32.0


def test_cheap_and_foreign_shares_fill_whole_shares_within_the_deficit():
    """USD 0.50 shares: a spare of 1.00 buys 2 (deficit 1.00). A GBP listing at GBP 10
    (fx 1.25: 12.50 base) with a deficit of 25 and 50 spare buys 2 shares, not more."""
    cheap = account([0], [0.5], 1.0, [1.0], 0.0)
    signed, cash = fill_deficits(np.zeros(1), cheap, 0.0, np.ones(1, bool), everything, 1.0)
    assert signed.tolist() == [2.0] and cash == pytest.approx(0.0)
    gbp = account([0], [10.0], 50.0, [25.0], 25.0, fx=[1.25])
    signed, cash = fill_deficits(np.zeros(1), gbp, 0.0, np.ones(1, bool), everything, 50.0)
    assert signed.tolist() == [2.0] and cash == pytest.approx(25.0)


# -- keep_cash_floor and finish_orders -----------------------------------------------------


def test_an_all_cash_account_below_its_reserve_trades_nothing():
    """No assets, cash 50 below a reserve of 100 (a withdrawal larger than the cash): the
    empty plan stands and cash stays 50."""
    acc = account([], [], 50.0, [], 100.0)
    signed, cash = keep_cash_floor(np.zeros(0), acc, 100.0, 50.0)
    assert signed.shape == (0,) and cash == 50.0


def test_buys_are_trimmed_to_the_reserve_largest_first():
    """Cash 1,000, reserve 300, LSE GBP fees (3.00 minimum an order): buys of 50 at 10 and
    30 at 5 leave 1,000 − 650 − 6 = 344: kept. 60 at 10 and 30 at 5 leave 244 < 300: the
    larger buy loses one share at a time, down to 54 (1,000 − 540 − 150 − 6 = 304)."""
    acc = account([0, 0], [10.0, 5.0], 1000.0, [600.0, 150.0], 250.0, fees=FeeTable([LSE_GBP] * 2))
    fits = np.array([50.0, 30.0])
    assert keep_cash_floor(fits, acc, 300.0, acc.cash_after(fits))[0].tolist() == [50.0, 30.0]
    over = np.array([60.0, 30.0])
    signed, cash = keep_cash_floor(over, acc, 300.0, acc.cash_after(over))
    assert signed.tolist() == [54.0, 30.0]
    assert cash == pytest.approx(304.0)
    plan = finish_orders(over, acc, 300.0, None, everything)
    assert plan.tolist() == [54.0, 30.0]


def test_buys_are_trimmed_exactly_to_the_reserve_and_no_further():
    """No fees, cash 1,000, reserve 300: buys of 60 at 10 and 30 at 5 leave 250; the larger
    loses 5 shares, one at a time, and lands exactly on the reserve (55 + 30, cash 300.00),
    which is kept."""
    acc = account([0, 0], [10.0, 5.0], 1000.0, [600.0, 150.0], 250.0)
    over = np.array([60.0, 30.0])
    signed, cash = keep_cash_floor(over, acc, 300.0, acc.cash_after(over))
    assert signed.tolist() == [55.0, 30.0]
    assert cash == 300.0


def test_only_as_many_one_share_buys_are_dropped_as_needed():
    """Buys of 1 share at 30 and 1 at 20 with cash 40 and no reserve: dropping the 30 one
    is enough (cash 20); the 20 one stays."""
    acc = account([0, 0], [30.0, 20.0], 40.0, [30.0, 20.0], 0.0)
    both = np.array([1.0, 1.0])
    signed, cash = keep_cash_floor(both, acc, 0.0, acc.cash_after(both))
    assert signed.tolist() == [0.0, 1.0] and cash == 20.0


def test_the_largest_buy_in_base_currency_is_trimmed_first_and_sales_stay():
    """A GBP listing at GBP 10 with fx 2 (10 shares: 200 base), a USD one at 15 (10 shares:
    150 base), a sale of 2 at 250 in between; cash 50 + 500 from the sale, reserve 250:
    550 − 350 = 200 < 250, so the GBP buy (the larger in base) loses 3 shares (260); the
    sale (dearer a share than either buy) is never increased to make room."""
    acc = account([0, 5, 0], [10.0, 250.0, 15.0], 50.0, [200.0, 750.0, 150.0], 0.0, fx=[2, 1, 1])
    orders = np.array([10.0, -2.0, 10.0])
    signed, cash = keep_cash_floor(orders, acc, 250.0, acc.cash_after(orders))
    assert signed.tolist() == [7.0, -2.0, 10.0]
    assert cash == pytest.approx(260.0)


def test_a_sale_that_lowers_cash_already_below_the_reserve_is_not_made():
    """Cash 5 below a reserve of 10: selling 1 share at 1 with the LSE GBP 3.00 minimum
    brings 1 − 3 = −2: the plan becomes no trade and cash stays 5."""
    acc = account([4], [1.0], 5.0, [0.0], 9.0, fees=FeeTable([LSE_GBP]))
    sale = np.array([-1.0])
    signed, cash = keep_cash_floor(sale, acc, 10.0, acc.cash_after(sale))
    assert signed.tolist() == [0.0] and signed.shape == (1,)
    assert cash == 5.0


def test_a_plan_as_far_as_holding_is_kept_and_a_further_one_is_dropped():
    """The exact account (NAV 128, distance 1.5): buying 2 A only moves drift to cash
    (still 1.5): kept as given; buying 10 of B, already over target, is further: no trade."""
    acc = account([0, 96], [16.0, 1.0], 32.0, [64.0, 0.0], 64.0)
    assert finish_orders(np.array([2.0, 0.0]), acc, 0.0, None, everything).tolist() == [2.0, 0.0]
    worse = finish_orders(np.array([0.0, 10.0]), acc, 0.0, None, everything)
    assert worse.shape == (2,) and worse.tolist() == [0.0, 0.0]


def test_a_foreign_share_whose_conversion_costs_more_than_it_moves_is_not_bought():
    """A GBP listing at GBP 0.80 (1.00 base) held 9 against a target of 9.50, cash 10 at
    its target 9.50: one more share pays the IDEALPRO 2.00 minimum and leaves the account
    further from target (0.034 → 0.137): not bought."""
    foreign = np.array([True, False])
    prices, fx = np.array([0.8, 1.0]), np.array([1.25, 1.0])
    acc = account(
        [9, 10], prices, 10.0, [9.5, 10.0], 9.5, fx=fx, conversion=idealpro(foreign, prices, fx)
    )
    signed, cash = spend_leftovers(np.zeros(2), acc, 0.0, np.ones(2, bool), everything, 10.0)
    assert signed.tolist() == [0.0, 0.0] and cash == 10.0


def test_a_share_costing_exactly_the_spare_cash_is_bought_with_a_conversion_too():
    """With a conversion that costs nothing (sized share by share), cash 20 and floor 10: a
    share at exactly 10 is bought, cash exactly the floor."""
    acc = account([0], [10.0], 20.0, [100.0], 0.0, conversion=lambda q: 0.0)
    signed, cash = spend_leftovers(np.zeros(1), acc, 10.0, np.ones(1, bool), everything, 20.0)
    assert signed.tolist() == [1.0] and cash == 10.0
