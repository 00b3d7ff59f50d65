"""Fee examples from IBKR's schedules (data in rp_tui/data/fees.toml)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rp_tui.domain.fee_model import NO_FEES, FeeTable
from rp_tui.errors import ConfigError
from rp_tui.inputs.fee_data import fee_schedules, schedule_for
from rp_tui.inputs.portfolio import Asset

US = Asset("USMV", "SMART", "USD", "BATS")
LSE_GBP = Asset("VWRP", "LSEETF", "GBP")
LSE_USD = Asset("CSPX", "LSEETF", "USD")


def one(asset: Asset, quantity: float, price: float) -> float:
    table = FeeTable([schedule_for("ibkr-fixed", asset)])
    return float(table.commission(np.array([quantity]), np.array([price]))[0])


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
def test_ibkr_fixed_us_buys(shares, price, expected):
    assert one(US, shares, price) == pytest.approx(expected)


def test_us_sale_adds_finra_taf():
    assert one(US, -1000, 50.0) == pytest.approx(5.00 + 1000 * 0.000166)
    assert one(US, -100_000, 50.0) == pytest.approx(500.0 + 8.30)  # TAF capped per trade


def test_lse_gbp_and_usd_listings():
    assert one(LSE_GBP, 100, 100.0) == pytest.approx(5.00)  # 0.05 % of GBP 10,000
    assert one(LSE_GBP, 10, 10.0) == pytest.approx(3.00)  # minimum GBP 3
    assert one(LSE_USD, 10, 10.0) == pytest.approx(4.00)  # minimum USD 4


def test_schedules_carry_source_and_date():
    for schedule in fee_schedules().values():
        assert schedule.source and schedule.as_of and schedule.confidence in "VSU"


def test_unknown_listing_is_named():
    with pytest.raises(ConfigError, match="XYZ on TSE in JPY"):
        schedule_for("ibkr-fixed", Asset("XYZ", "TSE", "JPY"))


def test_no_fee_plan():
    assert schedule_for("none", US) is NO_FEES
    assert FeeTable([NO_FEES]).commission(np.array([5.0]), np.array([10.0]))[0] == 0.0


@given(
    q=st.floats(1, 1e6),
    extra=st.floats(0, 1e6),
    price=st.floats(0.01, 5000),
)
def test_commission_is_monotone_and_bounded(q, extra, price):
    small, large = one(US, q, price), one(US, q + extra, price)
    assert 0 < small <= large + 1e-12
    assert small <= 0.01 * q * price + 1e-9  # never above 1 % of value


def tiered(asset: Asset, quantity: float, price: float) -> float:
    table = FeeTable([schedule_for("ibkr-tiered", asset)])
    return float(table.commission(np.array([quantity]), np.array([price]))[0])


def test_ibkr_tiered_adds_clearing_exchange_and_pass_through_fees():
    # 1,000 US shares at 50: 3.50 commission, 0.20 clearing, NYSE+FINRA 0.000738 × 3.50
    assert tiered(US, 1000, 50.0) == pytest.approx(3.50 + 0.20 + 0.000738 * 3.50)
    assert tiered(US, 10, 50.0) == pytest.approx(0.35 + 0.002 + 0.000738 * 0.35)  # minimum
    # LSE GBP: 0.05 % of 10,000, exchange 0.45 bp (min 0.10), clearing 0.06
    assert tiered(LSE_GBP, 100, 100.0) == pytest.approx(5.00 + 0.45 + 0.06)
    assert tiered(LSE_GBP, 10, 10.0) == pytest.approx(1.00 + 0.10 + 0.06)
    assert tiered(US, 1000, 50.0) < one(US, 1000, 50.0)  # tiered is cheaper at this size
