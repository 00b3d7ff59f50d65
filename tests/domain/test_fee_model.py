"""The commission model (rp_tui/domain/fee_model.py) on hand-built and data schedules."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rp_tui.domain.fee_model import LINES, NO_FEES, FeeSchedule, FeeTable, marginal_tiers
from rp_tui.errors import ConfigError
from rp_tui.inputs.fee_data import fee_schedules, fee_table, schedule_for
from rp_tui.inputs.portfolio import Asset

US = Asset("USMV", "SMART", "USD", "BATS")
LSE_GBP = Asset("VWRP", "LSEETF", "GBP")
LSE_USD = Asset("CSPX", "LSEETF", "USD")
FIXED_US = FeeSchedule(
    key="us", name="us", currency="USD", per_share=0.005, minimum=1.0, max_rate_of_value=0.01
)


def one(asset: Asset, quantity: float, price: float, plan="ibkr-fixed", **kwargs) -> float:
    table = fee_table(plan, (asset,), **kwargs)
    return float(table.commission(np.array([quantity], float), np.array([price]))[0])


@pytest.mark.parametrize(
    ("shares", "price", "expected"),
    [
        (100, 50.0, 1.00),  # 0.50 per-share → minimum USD 1.00
        (1000, 50.0, 5.00),  # 0.005 × 1000
        (300, 0.25, 0.75),  # 1 % of USD 75 caps below the minimum
        (10_000, 0.10, 10.00),  # per-share 50 capped at 1 % of USD 1,000
        (0, 50.0, 0.00),  # no order, no commission
    ],
)
def test_fixed_us_commission_line(shares, price, expected):
    table = FeeTable([FIXED_US])
    assert table.commission(np.array([shares], float), [price])[0] == pytest.approx(expected)


def test_us_buys_pay_cat_and_sales_pay_sec_and_taf_of_their_date():
    # 2022-12-28: SEC USD 22.90/M, TAF 0.000130 (cap 6.49), no CAT yet
    assert one(US, 1000, 50.0, on="2022-12-28") == pytest.approx(5.00)
    assert one(US, -1000, 50.0, on="2022-12-28") == pytest.approx(5.00 + 1.145 + 0.13)
    assert one(US, -100_000, 50.0, on="2022-12-28") == pytest.approx(500 + 114.5 + 6.49)
    # today's rows: CAT on both sides
    cat = fee_table("ibkr-fixed", (US,)).schedules[0].cat_per_share
    assert cat > 0
    assert one(US, 1000, 50.0) == pytest.approx(5.00 + 1000 * cat)


def test_listing_not_router_decides_the_schedule():
    smart_lse = Asset("CSPX", "SMART", "USD", "LSEETF")
    assert schedule_for("ibkr-fixed", smart_lse).key == "ibkr-fixed-lse-usd"
    assert one(smart_lse, 1, 100.0) == pytest.approx(4.00)
    assert one(smart_lse, 1000, 600.0) == pytest.approx(300.00)
    assert schedule_for("ibkr-fixed", US).key == "ibkr-fixed-us"


def test_lse_gbp_and_usd_listings():
    assert one(LSE_GBP, 100, 100.0) == pytest.approx(5.00)  # 0.05 % of GBP 10,000
    assert one(LSE_GBP, 10, 10.0) == pytest.approx(3.00)  # minimum GBP 3
    assert one(LSE_USD, 10, 10.0) == pytest.approx(4.00)  # minimum USD 4


def test_lse_tiered_fees_in_the_listing_currency():
    # GBP line: 0.05 % of 10,000, exchange 0.45 bp (min GBP 0.10), clearing GBP 0.06
    assert one(LSE_GBP, 100, 100.0, "ibkr-tiered") == pytest.approx(5.00 + 0.45 + 0.06)
    assert one(LSE_GBP, 10, 10.0, "ibkr-tiered") == pytest.approx(1.00 + 0.10 + 0.06)
    # USD line: the GBP minimum and clearing converted at USD 1.25 per GBP
    fx = {"USD": 1.0, "GBP": 1.25}
    assert one(LSE_USD, 10, 10.0, "ibkr-tiered", fx=fx) == pytest.approx(1.70 + 0.125 + 0.075)
    notes = fee_table("ibkr-tiered", (LSE_USD,)).notes[0]
    assert any("1:1" in n for n in notes)  # without a rate the estimate says so


def test_fractional_orders_have_their_own_minimum():
    assert one(US, 0.5, 10.0) == pytest.approx(
        0.01 + 0.5 * schedule_for("ibkr-fixed", US).cat_per_share
    )
    table = FeeTable([FIXED_US])
    assert table.commission(np.array([0.5]), [10.0])[0] == pytest.approx(0.05)  # 1 % cap


def test_tiered_volume_tiers_apply_marginally_from_month_to_date():
    # 100,000 shares after 250,000 this month: 50,000 @ 0.0035 + 50,000 @ 0.002
    table = fee_table("ibkr-tiered", (US,), month_to_date_shares=250_000)
    line = table.breakdown(np.array([100_000.0]), [50.0])["commission"][0]
    assert line == pytest.approx(50_000 * 0.0035 + 50_000 * 0.002)
    fresh = fee_table("ibkr-tiered", (US,)).breakdown(np.array([100_000.0]), [50.0])
    assert fresh["commission"][0] == pytest.approx(350.0)


def test_marginal_tiers_helper():
    thresholds = np.array([[0.0, 10.0, np.inf], [0.0, np.inf, np.inf]])
    rates = np.array([[2.0, 1.0, 0.0], [3.0, 0.0, 0.0]])
    got = marginal_tiers(np.array([5.0, 0.0]), np.array([10.0, 4.0]), thresholds, rates)
    assert got == pytest.approx([5 * 2 + 5 * 1, 12.0])


def test_direct_routed_us_orders_and_tiered_billed_at_fixed():
    direct = fee_table("ibkr-tiered", (US,), route="DIRECT")
    assert direct.schedules[0].key == "ibkr-fixed-us-api-direct"
    assert any("billed the Fixed rate" in n for n in direct.notes[0])
    line = direct.breakdown(np.array([1000.0]), [50.0])["commission"][0]
    assert line == pytest.approx(7.50)
    routes = fee_table("ibkr-fixed", (US, US), route=["SMART", "DIRECT"]).schedules
    assert [s.per_share for s in routes] == [0.005, 0.0075]


def test_breakdown_sums_to_commission_and_lists_every_line():
    table = fee_table("ibkr-tiered", (US, LSE_GBP), on="2024-06-01")
    q, p = np.array([-300.0, 20.0]), np.array([55.0, 90.0])
    lines = table.breakdown(q, p)
    assert tuple(lines) == LINES
    assert sum(lines.values()) == pytest.approx(table.commission(q, p))


def test_schedules_carry_source_and_date():
    for schedule in fee_schedules().values():
        assert schedule.source and schedule.as_of and schedule.confidence in "VSU"


def test_unverified_schedules_say_so():
    notes = fee_table("ibkr-fixed", (LSE_GBP,)).notes[0]
    assert fee_table("ibkr-fixed", (LSE_GBP,)).confidence == ("U",)
    assert any(n.endswith("unverified, no IBKR source found") for n in notes)


def test_unknown_listing_is_named():
    with pytest.raises(ConfigError, match="XYZ on TSE in JPY"):
        schedule_for("ibkr-fixed", Asset("XYZ", "TSE", "JPY"))
    with pytest.raises(ConfigError, match="CSPX on SMART in CHF"):
        schedule_for("ibkr-fixed", Asset("CSPX", "SMART", "CHF", "LSEETF"))


def test_no_fee_plan():
    assert schedule_for("none", US) is NO_FEES
    table = FeeTable([NO_FEES])
    assert table.free and table.commission(np.array([5.0]), np.array([10.0]))[0] == 0.0


def test_a_subset_table_prices_like_the_whole():
    """The broker resizes buys with ``FeeTable([table.schedules[i] …])``."""
    table = fee_table("ibkr-tiered", (US, LSE_GBP, LSE_USD), on="2023-06-01")
    q, p = np.array([-500.0, 30.0, 12.0]), np.array([60.0, 80.0, 400.0])
    sub = FeeTable([table.schedules[2], table.schedules[0]])
    assert sub.commission(q[[2, 0]], p[[2, 0]]) == pytest.approx(table.commission(q, p)[[2, 0]])


@given(
    q=st.integers(1, 10**6),
    extra=st.integers(0, 10**6),
    price=st.floats(0.01, 5000),
)
def test_commission_is_monotone_and_bounded(q, extra, price):
    """Whole-share orders (a fractional order has its own, lower minimum: 1.5 shares can
    cost less than 1 share, as on IBKR's page)."""
    table = FeeTable([schedule_for("ibkr-fixed", US, on="2022-12-28")])
    small = float(table.commission(np.array([q]), [price])[0])
    large = float(table.commission(np.array([q + extra]), [price])[0])
    assert 0 < small <= large + 1e-12
    assert small <= 0.01 * q * price + 1e-9  # a buy never pays above 1 % of value


@given(q=st.floats(1, 1e7), price=st.floats(0.01, 5000))
def test_sales_cost_more_than_buys_by_the_regulatory_fees(q, price):
    table = fee_table("ibkr-fixed", (US,), on="2023-06-01")
    buy = float(table.commission(np.array([q]), [price])[0])
    sell = float(table.commission(np.array([-q]), [price])[0])
    assert sell - buy == pytest.approx(8.0e-6 * q * price + min(0.000145 * q, 7.27))


@given(
    q=st.lists(st.integers(-(10**5), 10**5), min_size=3, max_size=3),
    price=st.lists(st.floats(0.01, 5000), min_size=3, max_size=3),
)
def test_the_whole_share_table_prices_whole_orders_alike(q, price):
    """``for_whole_shares`` only skips the fractional test: whole orders cost the same."""
    table = fee_table("ibkr-fixed", (US, US, US), on="2023-06-01")
    whole = table.for_whole_shares()
    assert whole is not table and whole is table.for_whole_shares()  # made once
    orders = np.array(q, dtype=float)
    np.testing.assert_array_equal(whole.commission(orders, price), table.commission(orders, price))
    flat = FeeTable([FeeSchedule(key="f", name="f", currency="USD", minimum=1.0)])
    assert flat.for_whole_shares() is flat  # no fractional minimum: nothing to skip
