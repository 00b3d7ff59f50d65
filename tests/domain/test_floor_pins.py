"""Sizing's cash floor, pinned on hand-built accounts (mutation score, issue #10).

Deficits below target are filled in one step, largest first, down to a common level and
no further, whole shares within each deficit; commissions that do not fit trim the largest
buy. Buys are trimmed to keep cash at the reserve, largest in base currency first, only as
many as needed; a plan further from target than holding is dropped.
"""

import numpy as np
import pytest

from rp_tui.domain.fee_model import FeeSchedule, FeeTable
from rp_tui.domain.sizing_checks import (
    fill_deficits,
    finish_orders,
    keep_cash_floor,
    spend_leftovers,
)
from tests.domain.sizing_cases import (
    LSE_GBP,
    account,
    everything,
    from_nothing,
    idealpro,
    min_value,
)

# -- fill_deficits --------------------------------------------------------------------------


def test_the_largest_deficit_is_filled_first_down_to_a_common_level():
    """NAV 1,800 at 10 a share: A is 600 below target, B 300, C above; 400 spare above the
    floor of 100. Both are filled down to 250 below target: A 350 (35 shares), B 50 (5);
    cash exactly the floor."""
    acc = account([0, 30, 100], [10.0] * 3, 500.0, [600.0, 600.0, 500.0], 100.0)
    signed, cash = from_nothing(fill_deficits, acc, 100.0)
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
    signed, cash = from_nothing(fill_deficits, acc, 100.0)
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
    signed, cash = from_nothing(fill_deficits, acc, 0.0)
    assert signed.tolist() == [0.0, 0.0] and cash == 10.0


def test_a_fill_that_only_moves_drift_to_cash_is_not_made():
    """The exact account of the top-up case (NAV 128, distance 1.5): filling A's deficit
    with 2 shares leaves the distance at 1.5, so the orders are unchanged."""
    acc = account([0, 96], [16.0, 1.0], 32.0, [64.0, 0.0], 64.0)
    assert acc.distance(np.array([2.0, 0.0])) == 1.5
    signed, cash = from_nothing(fill_deficits, acc, 0.0)
    assert signed.tolist() == [0.0, 0.0] and cash == 32.0


def test_cheap_and_foreign_shares_fill_whole_shares_within_the_deficit():
    """USD 0.50 shares: a spare of 1.00 buys 2 (deficit 1.00). A GBP listing at GBP 10
    (fx 1.25: 12.50 base) with a deficit of 25 and 50 spare buys 2 shares, not more."""
    cheap = account([0], [0.5], 1.0, [1.0], 0.0)
    signed, cash = from_nothing(fill_deficits, cheap, 0.0)
    assert signed.tolist() == [2.0] and cash == pytest.approx(0.0)
    gbp = account([0], [10.0], 50.0, [25.0], 25.0, fx=[1.25])
    signed, cash = from_nothing(fill_deficits, gbp, 0.0)
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
    plan, _ = finish_orders(over, acc, 300.0, None, everything)
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
    kept, _ = finish_orders(np.array([2.0, 0.0]), acc, 0.0, None, everything)
    assert kept.tolist() == [2.0, 0.0]
    worse, paid = finish_orders(np.array([0.0, 10.0]), acc, 0.0, None, everything)
    assert worse.shape == (2,) and worse.tolist() == [0.0, 0.0] and paid is None


def test_finish_orders_returns_an_unchanged_plan_itself_and_never_writes_to_it():
    """A plan the last stage does not change comes back itself, with the commissions it was
    given; a plan it changes comes back as a new array, the input as it was."""
    acc = account([0, 96], [16.0, 1.0], 32.0, [64.0, 0.0], 64.0)
    kept, given = np.array([2.0, 0.0]), np.zeros(2)
    out, paid = finish_orders(kept, acc, 0.0, None, everything, given)
    assert out is kept and paid is given
    # one share at 10 against a target of 8 (no deficit holds a share): a leftover buy
    acc = account([0], [10.0], 10.0, [8.0], 2.0)
    nothing = np.zeros(1)
    topped, _ = finish_orders(nothing, acc, 0.0, np.ones(1, dtype=bool), everything)
    assert topped.tolist() == [1.0] and nothing.tolist() == [0.0]


@pytest.mark.parametrize(
    ("targets", "filled", "final"),
    [
        ((415.0, 160.0), [20.0, 5.0], [21.0, 6.0]),  # no deficit holds a share: leftovers only
        ((500.0, 250.0), [24.0, 8.0], [24.0, 8.0]),  # the deficits only
        ((510.0, 240.0), [25.0, 7.0], [26.0, 7.0]),  # both
    ],
)
def test_the_commissions_the_last_stage_returns_are_those_the_fee_table_gives(
    targets, filled, final
):
    """A sale of 10 (of 40 at 50) and buys of 20 at 20 and 5 at 30, cash 300, reserve 60:
    the deficits are filled, then leftovers buy. The commissions the stage returns (from
    the deficits' pricing, the leftovers' grid for the assets it may buy, the given ones
    for the sale) equal the fee table's for the final orders at their fill prices to the
    last bit: 0.01 a share, an SEC-style fee on sales, fills 0.1 % either side of price."""
    fees = FeeTable([FeeSchedule("t", "t", "USD", per_share=0.01, sell_rate_of_value=3e-5)] * 3)
    acc = account([40, 0, 0], [50.0, 20.0, 30.0], 300.0, [1500.0, *targets], 60.0, fees, slip=0.001)
    signed = np.array([-10.0, 20.0, 5.0])
    given = fees.commission(signed, np.where(signed > 0, acc.buy_prices, acc.sell_prices))
    everyone = np.ones(3, dtype=bool)
    cash = acc.cash_after(signed, given)
    assert fill_deficits(signed, acc, 60.0, everyone, everything, cash)[0][1:].tolist() == filled
    out, paid = finish_orders(signed, acc, 60.0, everyone, everything, given)
    assert out.tolist() == [-10.0, *final] and signed.tolist() == [-10.0, 20.0, 5.0]
    assert (
        paid.tolist()
        == fees.commission(out, np.where(out > 0, acc.buy_prices, acc.sell_prices)).tolist()
    )
    assert paid[0] == given[0] != fees.commission(out, acc.buy_prices)[0]  # the sale's own


def test_a_foreign_share_whose_conversion_costs_more_than_it_moves_is_not_bought():
    """A GBP listing at GBP 0.80 (1.00 base) held 9 against a target of 9.50, cash 10 at
    its target 9.50: one more share pays the IDEALPRO 2.00 minimum and leaves the account
    further from target (0.034 → 0.137): not bought."""
    foreign = np.array([True, False])
    prices, fx = np.array([0.8, 1.0]), np.array([1.25, 1.0])
    acc = account(
        [9, 10], prices, 10.0, [9.5, 10.0], 9.5, fx=fx, conversion=idealpro(foreign, prices, fx)
    )
    signed, cash = from_nothing(spend_leftovers, acc, 0.0)
    assert signed.tolist() == [0.0, 0.0] and cash == 10.0


def test_a_share_costing_exactly_the_spare_cash_is_bought_with_a_conversion_too():
    """With a conversion that costs nothing (sized share by share), cash 20 and floor 10: a
    share at exactly 10 is bought, cash exactly the floor."""
    acc = account([0], [10.0], 20.0, [100.0], 0.0, conversion=lambda q: 0.0)
    signed, cash = from_nothing(spend_leftovers, acc, 10.0)
    assert signed.tolist() == [1.0] and cash == 10.0
