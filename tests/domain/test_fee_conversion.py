"""Currency conversion (IDEALPRO): one conversion per currency, each with its minimum."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rp_tui.domain.fx_conversion import (
    IDEALPRO_TIERS,
    conversion_commission,
    currency_flows,
    currency_groups,
    order_conversion_fee,
    tiered_conversion_commission,
)

RATE, MINIMUM = 0.00002, 2.0


def test_each_currency_is_its_own_conversion():
    # sell EUR 10,000 worth and buy GBP 10,000 worth (USD account): two conversions
    groups = currency_groups(["EUR", "GBP", "USD"], "USD")
    signed = np.array([-100.0, 100.0, 0.0])
    prices = np.array([100.0, 80.0, 50.0])
    fx = np.array([1.0, 1.25, 1.0])
    flows = currency_flows(signed, prices, prices, fx, groups)
    assert flows == pytest.approx([-10_000.0, 10_000.0])
    fee = order_conversion_fee(signed, prices, prices, fx, groups, RATE, MINIMUM)
    assert fee == pytest.approx(4.0)  # two conversions, each at its minimum USD 2.00


def test_a_switch_within_one_currency_needs_no_conversion():
    groups = currency_groups(["GBP", "GBP"], "USD")
    signed, prices = np.array([-10.0, 20.0]), np.array([100.0, 50.0])
    assert order_conversion_fee(signed, prices, prices, 1.25, groups, RATE, MINIMUM) == 0.0


def test_base_currency_listings_never_convert():
    groups = currency_groups(["USD", "USD"], "USD")
    assert (groups == -1).all()
    signed, prices = np.array([-10.0, 20.0]), np.array([100.0, 50.0])
    assert order_conversion_fee(signed, prices, prices, 1.0, groups, RATE, MINIMUM) == 0.0


def test_large_conversion_pays_the_rate_not_the_minimum():
    assert conversion_commission(np.array([-2_000_000.0]), RATE, MINIMUM) == pytest.approx(40.0)


def test_tiers_start_from_month_to_date_volume():
    # 0.5bn after 0.8bn this month: 0.2bn @ 0.20 bp + 0.3bn @ 0.15 bp
    cost = tiered_conversion_commission(np.array([0.5e9]), IDEALPRO_TIERS, 0.8e9)
    assert cost == pytest.approx(0.2e9 * 0.00002 + 0.3e9 * 0.000015)
    # a small conversion in the second tier pays that tier's minimum (USD 1.50)
    assert tiered_conversion_commission(np.array([10_000.0]), IDEALPRO_TIERS, 1.5e9) == 1.50


def test_tiered_minimum_is_converted_into_base():
    # EUR account at USD 1.10 per EUR: minimum USD 2.00 = EUR 1.818…
    cost = tiered_conversion_commission(np.array([1000.0]), IDEALPRO_TIERS, 0.0, 1.10)
    assert cost == pytest.approx(2.0 / 1.10)


@given(
    flows=st.lists(st.floats(-1e7, 1e7), min_size=1, max_size=6),
)
def test_first_tier_matches_the_flat_rule(flows):
    flows = np.array(flows)
    flat = conversion_commission(flows, RATE, MINIMUM)
    tiered = tiered_conversion_commission(flows, IDEALPRO_TIERS, 0.0)
    assert tiered == pytest.approx(flat)
    assert flat >= MINIMUM * np.count_nonzero(flows)
