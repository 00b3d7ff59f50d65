"""Shares from money, pinned on exact amounts (mutation score, issue #10).

Buys that fit a budget are valued in base currency even when one exchange rate is given
for every asset; a withdrawal's reserve is raised in full, from a holding of a single share
and down to the last share held, commissions included.
"""

import numpy as np

from rp_tui.domain.fee_model import NO_FEES, FeeSchedule, FeeTable
from rp_tui.domain.share_fitting import fit_buys, raise_in_full

LSE_GBP = FeeSchedule(key="lse", name="lse", currency="GBP", rate_of_value=0.0005, minimum=3.0)


def test_one_exchange_rate_for_all_assets_still_converts():
    """Two GBP listings at GBP 10 with one fx of 2.0 (20 base a share), 5 + 5 wanted: a
    budget of 100 base scales both to 2.5 and rounds down to 2 + 2 (80 base), not the 5 + 5
    that GBP 100 would buy; with fx 1.0 the 5 + 5 fit as they are."""
    buys, _ = fit_buys(
        np.array([5.0, 5.0]), np.array([10.0, 10.0]), 2.0, FeeTable([NO_FEES] * 2), 100.0, True
    )
    assert buys.tolist() == [2.0, 2.0]
    unchanged, _ = fit_buys(
        np.array([5.0, 5.0]), np.array([10.0, 10.0]), 1.0, FeeTable([NO_FEES] * 2), 100.0, True
    )
    assert unchanged.tolist() == [5.0, 5.0]


def args(held, values, targets, reserve, fees=None, allowed=True):
    """raise_in_full's arguments at USD 10 a share, fx 1, no cash, nothing sold yet."""
    n = len(held)
    held = np.asarray(held, dtype=float)
    return (
        np.zeros(n),
        held,
        np.asarray(values, dtype=float),
        np.asarray(targets, dtype=float),
        np.broadcast_to(allowed, (n,)),
        reserve,
        0.0,
        np.full(n, 10.0),
        np.ones(n),
        fees or FeeTable([NO_FEES] * n),
    )


def test_a_holding_of_one_share_is_sold_for_the_reserve():
    """The only holding is 1 share at 10 and the reserve is 10: it is sold."""
    sells = raise_in_full(*args([1.0, 0.0], [10.0, 0.0], [0.0, 10.0], 10.0))
    assert sells.tolist() == [1.0, 0.0]


def test_the_reserve_is_raised_down_to_the_last_share_commissions_included():
    """3 shares at 10 and a reserve of 30: all three are sold. With the LSE GBP 3.00
    minimum, 3 of 4 shares bring 27 < 30, so the fourth is sold too (40 − 3 = 37)."""
    assert raise_in_full(*args([3.0], [30.0], [0.0], 30.0)).tolist() == [3.0]
    with_fees = raise_in_full(*args([4.0], [40.0], [0.0], 30.0, FeeTable([LSE_GBP])))
    assert with_fees.tolist() == [4.0]


MIN_ONE = FeeSchedule(key="min1", name="min1", currency="USD", per_share=0.005, minimum=1.0)


def test_fractional_buys_below_the_minimum_commission_are_dropped_largest_first():
    """Fractional shares and a budget below the USD 1 minimum commission: no scaling can fit
    (any nonzero buy costs ≥ 1), so after the scalings the largest buy by value is dropped,
    then the next, until what is left fits: here nothing (a mutant that skips or inverts the
    trim returns unaffordable buys, or buys 2e306 shares)."""
    fees = FeeTable([MIN_ONE, MIN_ONE])
    buys, _ = fit_buys(np.array([10.0, 5.0]), np.array([100.0, 50.0]), 1.0, fees, 0.5, False)
    assert buys.tolist() == [0.0, 0.0]


def test_fractional_trim_drops_the_largest_buy_in_base_currency_first():
    """Asset 0 (USD 1 minimum, i.e. 2 base at fx 2) cannot fit a 0.8 budget at any size,
    the free asset 1 can. Both buys are worth 100 in their listing currency, 200 and 50 in
    base: the trim drops asset 0, the larger in base currency, and keeps what the scalings
    left of asset 1, within the budget. Ranking by shares / price, or by value / fx, drops
    asset 1 first and then both."""
    fees = FeeTable([MIN_ONE, NO_FEES])
    prices, fx = np.array([100.0, 10.0]), np.array([2.0, 0.5])
    buys, _ = fit_buys(np.array([1.0, 10.0]), prices, fx, fees, 0.8, False)
    assert buys[0] == 0.0 and 0.0 < buys[1] <= 10.0
    cost = float(((buys * prices + fees.commission(buys, prices)) * fx).sum())
    assert cost <= 0.8


def test_whole_share_trim_stops_at_the_first_quantity_that_fits():
    """A USD 99 minimum on 2,000 shares at 0.05 with a budget of 100: proportional scaling
    creeps towards the fixed point (43 shares, cost 101.15, after its 50 rounds), then the
    trim takes one share at a time and stops at exactly 20 shares, cost 1 + 99 = 100 = the
    budget (trimming two at a time gives 19, trimming while cost ≥ budget gives 19, the
    fractional branch gives 0)."""
    fees = FeeTable([FeeSchedule(key="m99", name="m99", currency="USD", minimum=99.0)])
    buys, _ = fit_buys(np.array([2000.0]), np.array([0.05]), 1.0, fees, 100.0, True)
    assert buys.tolist() == [20.0]
