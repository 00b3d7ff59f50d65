"""Order sizing rules pinned on small exact accounts (mutation score, issue #10).

The trade filters (minimum trade value, commission ratio, drift cost a trade removes), the
band's edge, frozen and must-trade assets, a withdrawal's reserve, the conversion
commission, and the figures a plan reports (weights, notionals, commissions, cash) —
each on an account small enough to check by hand. Fees are IBKR Fixed US (USD 0.005 a
share, min 1.00, cap 1 %) and LSE GBP Fixed (0.05 %, min GBP 3.00), as in fees.toml.
"""

import numpy as np
import pytest

from rp_tui.domain.fee_model import NO_FEES, FeeSchedule, FeeTable
from rp_tui.domain.rebalance import RebalanceRules, plan_rebalance

US_FIXED = FeeSchedule(
    key="us", name="us", currency="USD", per_share=0.005, minimum=1.0, max_rate_of_value=0.01
)
LSE_GBP = FeeSchedule(key="lse", name="lse", currency="GBP", rate_of_value=0.0005, minimum=3.0)
DAILY_VAR = np.diag([1e-4] * 3)  # 1 % daily volatility, uncorrelated
FREE = FeeTable([NO_FEES] * 3)


def free(n: int) -> FeeTable:
    return FeeTable([NO_FEES] * n)


# -- the trade filters ----------------------------------------------------------------------


def test_a_trade_worth_less_than_its_commission_in_drift_cost_is_skipped():
    """NAV 100,000 at USD 100 a share, λ = 4, 1 % daily volatility: A is 10 pp over target,
    B 0.5 pp over, C 10.5 pp under. Selling B's 5 shares removes 0.5·4·252·1e-4·0.005²·1e5
    = 0.126 of drift cost a year, less than its USD 1.00 commission: skipped; A's sale
    (50.40 removed) and C's buy stay. C buys 99 with the 9,999 A's sale brings."""
    held, prices = np.array([400.0, 300.0, 300.0]), np.array([100.0, 100.0, 100.0])
    targets = np.array([0.30, 0.295, 0.405])
    fees = FeeTable([US_FIXED] * 3)
    every = plan_rebalance(held, prices, 0.0, targets, RebalanceRules(), fees)
    assert every.quantities.tolist() == [-100.0, -5.0, 104.0]
    rules = RebalanceRules(skip_uneconomic=True)
    plan = plan_rebalance(held, prices, 0.0, targets, rules, fees, covariance=DAILY_VAR)
    assert plan.quantities.tolist() == [-100.0, 0.0, 99.0]
    assert plan.cash_after == pytest.approx(10_000 - 1 - 9_900 - 1)


def test_the_drift_cost_of_a_foreign_listing_is_valued_in_base_currency():
    """B is a GBP listing at GBP 50 with fx 2 (100 base a share), 2.9 pp over target: its
    sale of 29 shares removes 0.5·4·252·1e-4·0.029²·1e5 = 4.24 base of drift cost a year,
    more than its commission of GBP 1.00 = 2.00 base: the sale is made."""
    held, prices = np.array([400.0, 300.0, 300.0]), np.array([100.0, 50.0, 100.0])
    plan = plan_rebalance(
        held,
        prices,
        0.0,
        np.array([0.30, 0.271, 0.429]),
        RebalanceRules(skip_uneconomic=True),
        FeeTable([US_FIXED] * 3),
        np.array([1.0, 2.0, 1.0]),
        covariance=DAILY_VAR,
    )
    assert plan.quantities.tolist() == [-100.0, -29.0, 128.0]


def test_skip_uneconomic_without_a_covariance_is_refused():
    """The drift cost needs the covariance: the message says so."""
    with pytest.raises(ValueError, match=r"^skip_uneconomic needs the covariance of the assets$"):
        plan_rebalance(
            np.ones(3),
            np.ones(3),
            0.0,
            np.full(3, 1 / 3),
            RebalanceRules(skip_uneconomic=True),
            FREE,
        )


def test_an_order_of_exactly_the_minimum_trade_value_is_made():
    """Minimum trade 100 base: 8 shares of a GBP listing at GBP 10 with fx 1.25 are worth
    exactly 100.00 base, so they are bought (valued in base currency, not GBP 80)."""
    plan = plan_rebalance(
        np.zeros(1),
        np.array([10.0]),
        100.0,
        np.array([1.0]),
        RebalanceRules(min_trade_value=100.0),
        free(1),
        np.array([1.25]),
    )
    assert plan.quantities.tolist() == [8.0]
    assert plan.cash_after == 0.0


def test_a_minimum_trade_of_one_dollar_skips_half_dollar_orders():
    """USD 0.50 shares, minimum trade USD 1.00: the buy of 1 share and the sale of 1 share
    the targets ask for (0.50 each) are both skipped."""
    plan = plan_rebalance(
        np.array([0.0, 2.0]),
        np.array([0.5, 0.5]),
        0.0,
        np.array([0.5, 0.5]),
        RebalanceRules(min_trade_value=1.0),
        free(2),
    )
    assert plan.quantities.tolist() == [0.0, 0.0]
    assert plan.cash_after == 0.0


def test_a_commission_of_exactly_the_ratio_is_allowed():
    """US Fixed: 10 shares at USD 10 pay the USD 1.00 minimum, exactly 1 % of the 100
    traded: with max_commission_ratio 0.01 the buy is made."""
    plan = plan_rebalance(
        np.zeros(1),
        np.array([10.0]),
        101.0,
        np.array([1.0]),
        RebalanceRules(max_commission_ratio=0.01),
        FeeTable([US_FIXED]),
    )
    assert plan.quantities.tolist() == [10.0]
    assert plan.commissions.tolist() == [1.0]


def test_the_commission_ratio_compares_base_currency_amounts():
    """A GBP listing at GBP 25 with fx 2 (50 base a share), cash 160: 3 shares are worth
    150 base and pay the GBP 3.00 LSE minimum = 6.00 base, 4 % of the value: refused at a
    ratio of 3 %, bought at 5 % (cash 160 − 150 − 6 = 4)."""
    args = (np.zeros(1), np.array([25.0]), 160.0, np.array([1.0]))
    fees, fx = FeeTable([LSE_GBP]), np.array([2.0])
    strict = plan_rebalance(*args, RebalanceRules(max_commission_ratio=0.03), fees, fx)
    assert strict.quantities.tolist() == [0.0] and strict.cash_after == 160.0
    loose = plan_rebalance(*args, RebalanceRules(max_commission_ratio=0.05), fees, fx)
    assert loose.quantities.tolist() == [3.0]
    assert loose.cash_after == pytest.approx(4.0)


# -- band, frozen, must-trade, withdrawal --------------------------------------------------


def test_drift_exactly_at_the_band_is_not_traded():
    """Weights 0.75 / 0.25 against 0.5 / 0.5 (NAV 128, exact in binary), band 0.25: the
    drift equals the band, which is inside it: no trade."""
    plan = plan_rebalance(
        np.array([3.0, 1.0]),
        np.array([32.0, 32.0]),
        0.0,
        np.array([0.5, 0.5]),
        RebalanceRules(band=0.25),
        free(2),
    )
    assert plan.drift.tolist() == [0.25, -0.25]
    assert plan.quantities.tolist() == [0.0, 0.0]


def test_a_frozen_asset_is_neither_sold_nor_funds_a_buy():
    """A is over target but frozen (no fresh price): not sold, so B is not bought (no
    cash); unfrozen, one share moves from A to B."""
    args = (np.array([3.0, 1.0]), np.array([32.0, 32.0]), 0.0, np.array([0.5, 0.5]))
    frozen = plan_rebalance(*args, RebalanceRules(), free(2), frozen=np.array([True, False]))
    assert frozen.quantities.tolist() == [0.0, 0.0]
    loose = plan_rebalance(*args, RebalanceRules(), free(2))
    assert loose.quantities.tolist() == [-1.0, 1.0]


def test_a_must_trade_holding_is_sold_inside_the_band():
    """Band 10 pp: A (+16.7 pp) and B (−21.4 pp) are traded; C, an outside holding at 4.8 pp
    (inside the band), is sold only when the policy says it must be, and its 10 buy one
    more share of B."""
    args = (np.array([14.0, 6.0, 1.0]), np.full(3, 10.0), 0.0, np.array([0.5, 0.5, 0.0]))
    rules = RebalanceRules(band=0.1)
    assert plan_rebalance(*args, rules, FREE).quantities.tolist() == [-4.0, 4.0, 0.0]
    must = plan_rebalance(*args, rules, FREE, must_trade=np.array([False, False, True]))
    assert must.quantities.tolist() == [-4.0, 5.0, -1.0]
    assert must.cash_after == 0.0


def test_a_withdrawal_raises_the_buffer_on_what_remains_plus_the_withdrawal():
    """NAV 2,000, withdrawal 200, buffer 10 %: the reserve is 10 % of 1,800 plus 200 = 380;
    sell-only raises exactly that, 19 shares of each equal holding at 10."""
    plan = plan_rebalance(
        np.array([100.0, 100.0]),
        np.array([10.0, 10.0]),
        0.0,
        np.array([0.5, 0.5]),
        RebalanceRules(cash_buffer=0.1, mode="sell-only"),
        free(2),
        withdraw=200.0,
    )
    assert plan.quantities.tolist() == [-19.0, -19.0]
    assert plan.cash_after == 380.0


def test_bad_inputs_are_refused_with_their_message():
    """A non-positive price and an unknown mode: the messages the TUI shows."""
    with pytest.raises(ValueError, match=r"^every price must be finite and > 0$"):
        plan_rebalance(np.ones(1), np.array([0.0]), 10.0, np.ones(1), RebalanceRules(), free(1))
    with pytest.raises(
        ValueError, match=r"^unknown rebalance mode 'sideways'; choose full, buy-only, sell-only$"
    ):
        plan_rebalance(
            np.ones(1), np.ones(1), 10.0, np.ones(1), RebalanceRules(mode="sideways"), free(1)
        )


# -- conversion commission -------------------------------------------------------------------


def test_a_conversion_rate_without_a_minimum_is_charged():
    """0.1 % conversion, no minimum: buying 3 GBP shares at GBP 10 (fx 1.25, 37.50 base)
    with 50 base from selling 5 USD shares converts a net 37.50: 0.0375 commission."""
    plan = plan_rebalance(
        np.array([0.0, 10.0]),
        np.array([10.0, 10.0]),
        0.0,
        np.array([0.5, 0.5]),
        RebalanceRules(fx_rate_of_value=0.001),
        free(2),
        np.array([1.25, 1.0]),
        currency_groups=np.array([0, -1]),
    )
    assert plan.quantities.tolist() == [3.0, -5.0]
    assert plan.fx_commission == pytest.approx(0.0375)
    assert plan.cash_after == pytest.approx(50.0 - 37.5 - 0.0375)


@pytest.mark.parametrize(
    "rules",
    [
        RebalanceRules(),
        RebalanceRules(band=0.1, fx_rate_of_value=0.00002, fx_minimum=2.0),
    ],
    ids=["no-fx-fee", "idealpro-in-band"],
)
def test_no_trade_converts_nothing(rules):
    """A GBP and a USD listing on target (or inside the band): no order, no conversion,
    no commission, cash unchanged."""
    plan = plan_rebalance(
        np.array([4.0, 5.0]),
        np.array([10.0, 10.0]),
        0.0,
        np.array([0.5, 0.5]),
        rules,
        free(2),
        np.array([1.25, 1.0]),
        currency_groups=np.array([0, -1]),
    )
    assert plan.quantities.tolist() == [0.0, 0.0]
    assert plan.fx_commission == 0.0 and plan.total_commission == 0.0
    assert plan.cash_after == 0.0


# -- what the plan reports -------------------------------------------------------------------


def test_the_plan_reports_weights_notionals_and_every_commission():
    """10 shares at 20 and cash 100 (NAV 300, weights 2/3 and 0), targets 50 / 50, US Fixed:
    sell 2 (notional 40, commission capped at 1 % = 0.40) and buy 3 at 40 (notional 120,
    minimum 1.00): cash 100 + 40 − 0.40 − 120 − 1.00 = 18.60, total commission 1.40."""
    plan = plan_rebalance(
        np.array([10.0, 0.0]),
        np.array([20.0, 40.0]),
        100.0,
        np.array([0.5, 0.5]),
        RebalanceRules(),
        FeeTable([US_FIXED] * 2),
    )
    assert plan.nav == 300.0
    assert plan.weights.tolist() == pytest.approx([2 / 3, 0.0])
    assert plan.quantities.tolist() == [-2.0, 3.0]
    assert plan.notional.tolist() == [40.0, 120.0]
    assert plan.commissions.tolist() == pytest.approx([0.40, 1.00])
    assert plan.cash_after == pytest.approx(18.60)
    assert plan.total_commission == pytest.approx(1.40)


# -- modes and share rounding ----------------------------------------------------------------


def test_fractional_shares_spend_the_proceeds_to_the_cent():
    """Fractional shares, US Fixed (1 % cap): selling 5 of 10 shares at 10 brings 50 − 0.50;
    the buy at 10 plus its 1 % commission takes all of it: 49.50 / 10.10 = 4.90099… shares,
    cash ≈ 0."""
    plan = plan_rebalance(
        np.array([10.0, 0.0]),
        np.array([10.0, 10.0]),
        0.0,
        np.array([0.5, 0.5]),
        RebalanceRules(whole_shares=False),
        FeeTable([US_FIXED] * 2),
    )
    assert plan.quantities[0] == -5.0
    assert plan.quantities[1] == pytest.approx(49.5 / 10.1, rel=1e-9)
    assert plan.commissions.tolist() == pytest.approx([0.5, 0.49009901], rel=1e-6)
    assert plan.cash_after == pytest.approx(0.0, abs=1e-6)


def test_a_frictionless_plan_reports_every_figure():
    """No fees, fractional shares, one currency: 10 shares at 10 and cash 20 (NAV 120,
    weights 5/6 and 0, targets 0.5 each): sell 4, buy 7.5 at 8, cash 0."""
    plan = plan_rebalance(
        np.array([10.0, 0.0]),
        np.array([10.0, 8.0]),
        20.0,
        np.array([0.5, 0.5]),
        RebalanceRules(whole_shares=False),
        free(2),
    )
    assert plan.nav == 120.0
    assert plan.weights.tolist() == pytest.approx([5 / 6, 0.0])
    assert plan.targets.tolist() == [0.5, 0.5]
    assert plan.drift.tolist() == pytest.approx([1 / 3, -0.5])
    assert plan.quantities.tolist() == pytest.approx([-4.0, 7.5])
    assert plan.notional.tolist() == pytest.approx([40.0, 60.0])
    assert plan.commissions.tolist() == [0.0, 0.0]
    assert plan.cash_after == pytest.approx(0.0, abs=1e-9)
    assert plan.total_commission == 0.0
    assert plan.fill_prices.tolist() == [10.0, 8.0]


def test_sell_only_takes_a_shortfall_pro_rata_and_rounds_up():
    """Nothing is over target and a withdrawal of 50 needs 40 more than the cash of 10: it
    is taken pro rata, 20 from each holding at 10 — 2 shares each, cash 50. With 12 and 10
    shares and no cash, the excess (35 and 15) covers it: 3.5 → 4 and 1.5 → 2 shares."""

    def withdrawing_50(held: list[float], cash: float):
        return plan_rebalance(
            np.array(held),
            np.full(2, 10.0),
            cash,
            np.array([0.5, 0.5]),
            RebalanceRules(mode="sell-only"),
            free(2),
            withdraw=50.0,
        )

    even = withdrawing_50([10.0, 10.0], 10.0)
    assert even.quantities.tolist() == [-2.0, -2.0] and even.cash_after == 50.0
    over = withdrawing_50([12.0, 10.0], 0.0)
    assert over.quantities.tolist() == [-4.0, -2.0] and over.cash_after == 60.0


def test_buy_only_spends_the_cash_above_the_buffer_and_ignores_the_band():
    """Cash 100, 5 shares at 10 (NAV 150), buffer 10 % (15): targets 67.50 each; 7 and 1
    shares leave 20 ≥ 15. Without a buffer and with a band of 50 pp (ignored in buy-only)
    the 100 buys 8 and 2, to the last cent."""
    args = (np.array([0.0, 5.0]), np.full(2, 10.0), 100.0, np.array([0.5, 0.5]))
    buffered = plan_rebalance(*args, RebalanceRules(mode="buy-only", cash_buffer=0.1), free(2))
    assert buffered.quantities.tolist() == [7.0, 1.0] and buffered.cash_after == 20.0
    banded = plan_rebalance(*args, RebalanceRules(mode="buy-only", band=0.5), free(2))
    assert banded.quantities.tolist() == [8.0, 2.0] and banded.cash_after == 0.0


def test_a_sale_that_brings_no_more_than_its_commission_is_not_made():
    """LSE GBP 3.00 minimum: 1 share at 3.00 brings exactly its commission: not sold; at
    3.01 it brings 0.01 and is sold."""
    fees = FeeTable([LSE_GBP] * 2)
    args = (np.array([1.0, 0.0]), 0.0, np.array([0.0, 1.0]), RebalanceRules(), fees)
    at = plan_rebalance(args[0], np.array([3.0, 3.0]), *args[1:])
    assert at.quantities.tolist() == [0.0, 0.0] and at.cash_after == 0.0
    above = plan_rebalance(args[0], np.array([3.01, 3.0]), *args[1:])
    assert above.quantities.tolist() == [-1.0, 0.0]
    assert above.cash_after == pytest.approx(0.01)


def test_a_plan_inside_the_band_reports_no_trade_in_full():
    """Everything inside a 20 pp band, 10 bp slippage: no order, notionals and commissions
    zero, cash unchanged at 7, fills at the reference prices."""
    plan = plan_rebalance(
        np.array([5.0, 5.0]),
        np.full(2, 10.0),
        7.0,
        np.array([0.5, 0.5]),
        RebalanceRules(band=0.2, slippage_bp=10),
        free(2),
    )
    assert plan.quantities.tolist() == [0.0, 0.0]
    assert plan.notional.tolist() == [0.0, 0.0] and plan.commissions.tolist() == [0.0, 0.0]
    assert plan.cash_after == 7.0 and plan.total_commission == 0.0
    assert plan.fill_prices.tolist() == [10.0, 10.0]
