"""Fee figures the worked examples leave unpinned (mutation score, issue #10).

Each test pins money the fee model must produce, from the schedules of
``rp_tui/data/fees.toml`` and the sources they name: month-to-date volume tiers of IBKR
Tiered, a portfolio mixing share- and value-tiered listings, the per-order maximum, the LSE
exchange fee, regulatory-only schedules (Alpaca), and that an asset without an order pays
nothing on any line.
"""

import warnings

import numpy as np
import pytest

from rp_tui.domain.fee_model import NO_FEES, FeeSchedule, FeeTable, marginal_tiers
from rp_tui.inputs.fee_data import fee_table
from rp_tui.inputs.portfolio import Asset

US = Asset("XYZ", "SMART", "USD", "NASDAQ")
IBIS = Asset("EUNL", "SMART", "EUR", "IBIS")
LSE_GBP = Asset("VUSA", "SMART", "GBP", "LSEETF")
STOCKS = "https://www.interactivebrokers.co.uk/en/pricing/commissions-stocks.php?re=amer"
EUROPE = "https://www.interactivebrokers.com.hk/en/pricing/commissions-stocks-europe.php"
# IBKR Tiered US, USD per share by monthly volume (STOCKS): the thresholds of fees.toml
US_TIERS = np.array([[0.0, 300e3, 3e6, 20e6, 100e6]])
US_RATES = np.array([[0.0035, 0.0020, 0.0015, 0.0010, 0.0005]])


def commission_line(table: FeeTable, quantities, prices) -> list[float]:
    """IBKR's own commission line of each order, listing currency."""
    lines = table.breakdown(np.array(quantities, dtype=float), np.array(prices, dtype=float))
    return [round(float(x), 10) for x in lines["commission"]]


def test_month_to_date_volume_moves_the_order_into_its_tier():
    """US Tiered (STOCKS): after 5,000,000 shares this month an order of 100,000 pays the
    3M-20M rate, USD 0.0015 → 150.00; after 2,900,000 an order of 200,000 pays 100,000 at
    0.0020 and 100,000 at 0.0015 → 350.00 (tiers are marginal)."""
    deep = fee_table("ibkr-tiered", (US,), month_to_date_shares=5e6)
    assert commission_line(deep, [100_000], [25.0]) == [150.00]
    across = fee_table("ibkr-tiered", (US,), month_to_date_shares=2.9e6)
    assert commission_line(across, [200_000], [25.0]) == [350.00]


def test_marginal_tiers_charges_only_the_part_of_the_order_in_each_tier():
    """The tier arithmetic itself: 200,000 shares from 2,900,000 straddle the 3M threshold
    (200 + 150 = 350); 100,000 from 5,000,000 sit in one tier (150); 100,000 from 0 in the
    first (350); an order of nothing costs nothing."""
    before = np.array([2.9e6, 5e6, 0.0, 5e6])
    units = np.array([2e5, 1e5, 1e5, 0.0])
    charged = marginal_tiers(before, units, np.repeat(US_TIERS, 4, 0), np.repeat(US_RATES, 4, 0))
    assert charged == pytest.approx([350.0, 150.0, 350.0, 0.0], abs=1e-9)


def test_share_and_value_tiers_in_one_portfolio_price_each_asset_alone():
    """A portfolio of a US listing (share tiers) and an IBIS listing (EUR value tiers), IBKR
    Tiered: 1,000 @ USD 25 = USD 3.50 (0.0035/share, STOCKS) and 1,000 @ EUR 20 = EUR 10.00
    (0.05 %, EUROPE): the same as each asset in a table of its own."""
    table = fee_table("ibkr-tiered", (US, IBIS))
    assert commission_line(table, [1000, 1000], [25.0, 20.0]) == [3.50, 10.00]
    alone = [
        commission_line(fee_table("ibkr-tiered", (a,)), [1000], [p])[0]
        for a, p in ((US, 25.0), (IBIS, 20.0))
    ]
    assert alone == [3.50, 10.00]


def test_many_order_vectors_at_once_cost_what_each_costs_alone():
    """``commission`` of an ``(m, n)`` matrix (the sizer prices every top-up at once) equals
    each row priced on its own, under tiers, minimums and regulatory fees."""
    table = fee_table("ibkr-tiered", (US, IBIS), month_to_date_shares=[2.9e6, 0.0])
    rows = np.array([[200_000.0, 1000.0], [100.0, -50.0], [0.0, 3.0], [-7.0, 0.0]])
    prices = np.array([25.0, 20.0])
    together = table.commission(rows, prices)
    assert together.shape == rows.shape
    for row, got in zip(rows, together, strict=True):
        assert got == pytest.approx(table.commission(row, prices), rel=1e-12, abs=1e-12)


def test_the_per_order_maximum_caps_after_the_minimum():
    """The documented rule: commission = min(max(per_share·q, minimum), min(1 %·v, maximum)).
    A schedule with both caps (USD 0.01/share, min 1, 1 % of value, max 10): 5,000 @ 100 =
    50 capped at 10.00; 1,000 @ 0.25 = 10 capped at 1 % = 2.50; 100 @ 25 = 1.00 minimum."""
    capped = FeeSchedule(
        key="capped",
        name="capped",
        currency="USD",
        per_share=0.01,
        minimum=1.0,
        max_rate_of_value=0.01,
        maximum=10.0,
    )
    table = FeeTable([capped] * 3)
    got = table.commission(np.array([5000.0, 1000.0, 100.0]), np.array([100.0, 0.25, 25.0]))
    assert got.tolist() == pytest.approx([10.00, 2.50, 1.00])


def test_fixed_rate_cap_and_eur_maximum_in_one_portfolio():
    """US Fixed 1,000 @ USD 0.25 = USD 2.50 (1 % cap, STOCKS) next to EUR Tiered, whose
    maximum is EUR 29.00 (EUROPE): 100,000 @ EUR 100 at 0.05 % would be 5,000. A zero order
    in that table costs 0 and raises no floating-point warning (∞ cap × 0 value)."""
    schedules = (
        fee_table("ibkr-fixed", (US,)).schedules[0],
        fee_table("ibkr-tiered", (IBIS,)).schedules[0],
    )
    table = FeeTable(schedules)
    assert commission_line(table, [1000, 100_000], [0.25, 100.0]) == [2.50, 29.00]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert table.commission(np.zeros(2), np.array([0.25, 100.0])).tolist() == [0.0, 0.0]


def test_lse_exchange_fee_is_a_rate_of_value_with_a_minimum():
    """LSE ETF, IBKR Tiered GBP (fees.toml, f=3879): 10,000 @ GBP 50 = GBP 500,000 pays
    0.05 % = 250.00 commission, 0.45 bp = 22.50 exchange and 0.06 clearing; 100 @ GBP 10
    pays the minimums: GBP 1.00 commission and GBP 0.10 exchange."""
    table = fee_table("ibkr-tiered", (LSE_GBP, LSE_GBP))
    lines = table.breakdown(np.array([10_000.0, 100.0]), np.array([50.0, 10.0]))
    assert lines["commission"].tolist() == pytest.approx([250.00, 1.00])
    assert lines["exchange"].tolist() == pytest.approx([22.50, 0.10])
    assert lines["clearing"].tolist() == pytest.approx([0.06, 0.06])


def test_alpaca_passes_on_regulatory_fees_only():
    """Alpaca (fees.toml: no commission, SEC and TAF passed on): selling 10,000 @ USD 100 on
    2023-06-01 pays SEC USD 8.00/M = 8.00 and TAF 0.000145 × 10,000 = 1.45, total 9.45; the
    same buy costs nothing."""
    table = fee_table("alpaca", (US, US), on="2023-06-01")
    assert not table.free
    got = table.commission(np.array([-10_000.0, 10_000.0]), np.array([100.0, 100.0]))
    assert got.tolist() == pytest.approx([9.45, 0.0])


def test_volume_tiers_alone_are_a_charge():
    """A schedule whose only charge is IBKR's US volume tiers is not free: 1,000 shares from
    a fresh month cost 1,000 × 0.0035 = 3.50."""
    tiers = tuple(zip(US_TIERS[0].tolist(), US_RATES[0].tolist(), strict=True))
    table = FeeTable([FeeSchedule(key="t", name="t", currency="USD", tiers=tiers)])
    assert not table.free
    assert table.commission(np.array([1000.0]), np.array([25.0])).tolist() == pytest.approx([3.5])


def test_an_asset_without_an_order_pays_nothing_on_any_line():
    """US Fixed (min USD 1.00; 2023-06-01, before the CAT fee) and LSE Tiered GBP (min GBP
    1.00, exchange min 0.10, clearing 0.06 an order): the asset with quantity 0 pays 0.0 on
    every line and in total, while the other order pays its minimums."""
    fixed = fee_table("ibkr-fixed", (US, US), on="2023-06-01")
    assert fixed.commission(np.array([0.0, 100.0]), np.array([25.0, 25.0])).tolist() == [0.0, 1.0]
    lse = fee_table("ibkr-tiered", (LSE_GBP, LSE_GBP))
    lines = lse.breakdown(np.array([0.0, -100.0]), np.array([10.0, 10.0]))
    for name, line in lines.items():
        assert line.dtype == float, name
        assert line[0] == 0.0, name
    assert [float(lines[k][1]) for k in ("commission", "exchange", "clearing")] == pytest.approx(
        [1.00, 0.10, 0.06]
    )
    total = lse.commission(np.array([0.0, -100.0]), np.array([10.0, 10.0]))
    assert total.tolist() == pytest.approx([0.0, 1.16])


def test_a_free_table_prices_any_shape_and_its_zeros_cannot_be_overwritten():
    """No fees: ``(n,)`` and ``(m, n)`` orders cost zeros of their own shape; the shared zero
    vector it hands out is read-only, so a caller cannot make the next plan's commissions
    non-zero by writing into it."""
    table = FeeTable([NO_FEES, NO_FEES])
    assert table.free
    many = table.commission(np.ones((3, 2)), np.array([1.0, 2.0]))
    assert many.shape == (3, 2) and not many.any()
    one = table.commission(np.array([5.0, -5.0]), np.array([1.0, 2.0]))
    with pytest.raises(ValueError):
        one[0] = 1.0
    assert table.commission(np.array([5.0, -5.0]), np.array([1.0, 2.0])).tolist() == [0.0, 0.0]


def test_an_empty_portfolio_has_a_free_table():
    """No assets yet (a new account): the table builds, is free and prices nothing."""
    table = FeeTable([])
    assert table.free
    assert table.commission(np.zeros(0), np.zeros(0)).shape == (0,)
    assert table.breakdown(np.zeros(0), np.zeros(0))["commission"].shape == (0,)
