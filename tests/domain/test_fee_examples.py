"""Every worked example of IBKR's stock, ETF and FX commission pages and of the regulators'
rate notices, reproduced to the cent with the data of ``rp_tui/data/fees.toml``.

Each row names its source address and the date whose rates it uses (the example's own date
where the page shows one; its rates tell which: e.g. TAF capped at 7.27 and SEC USD 8.00/M
were both in force only from 2023-02-27 to 2023-12-31). Fees are summed unrounded and the
total is compared to the cent, as IBKR's examples print each line to the cent.
"""

from dataclasses import replace

import numpy as np
import pytest

from rp_tui.domain.fee_model import FeeTable
from rp_tui.domain.fx_conversion import IDEALPRO_TIERS, tiered_conversion_commission
from rp_tui.inputs.fee_data import conversion_tiers, fee_table
from rp_tui.inputs.portfolio import Asset

US = Asset("XYZ", "SMART", "USD", "NASDAQ")
US_DIRECT = Asset("XYZ", "ISLAND", "USD")
LSE_USD = Asset("CSPX", "SMART", "USD", "LSEETF")
IBIS = Asset("EUNL", "SMART", "EUR", "IBIS")

F713 = "https://interactivebrokers.ca/en/index.php?f=713 (Stock and ETF Fixed vs. Tiered)"
STOCKS = "https://www.interactivebrokers.co.uk/en/pricing/commissions-stocks.php?re=amer"
COST_PLUS = "https://www.interactivebrokers.com/en/accounts/fees/stocksPricing2.php"
EUROPE = "https://www.interactivebrokers.com.hk/en/pricing/commissions-stocks-europe.php"
EURO_EX = "https://www.interactivebrokers.ca/en/accounts/fees/euroStockBundlUnbund.php"
ALT = "https://interactivebrokers.co.uk/en/accounts/fees/alternate-exchange-commissions.php"
API_OLD = "royaltrade.exchange mirror of IBKR f=commission&p=stocks1 (US API Directed Orders)"
FX = "https://www.interactivebrokers.com/en/index.php?f=commission&p=fx1"
ISSUE = "issue #12 (listing decides the schedule, not SMART)"
DEMO = "bundled demo prices (rp_tui/data/factors_prices.csv.gz), 2022-12-28"

QUAL = Asset("QUAL", "SMART", "USD", "BATS")
SIZE = Asset("SIZE", "SMART", "USD", "BATS")
TODAY, Y2023, DEMO_DAY = "2026-12-01", "2023-06-01", "2022-12-28"
FIXED, TIERED = "ibkr-fixed", "ibkr-tiered"


def ex(name, source, on, plan, asset, quantity, price, what, expected, **options):
    """One worked example: ``what`` is ``"commission"`` (IBKR's own line) or ``"total"``
    (every line); ``options``: route, liquidity, before (month-to-date shares or value).
    The date is the example's own where its rates show it (TAF capped at 7.27 with SEC USD
    8.00/M: 2023-02-27 to 2023-12-31), else the audit's (today's schedule)."""
    return pytest.param(source, on, plan, asset, quantity, price, what, expected, options, id=name)


STOCK_EXAMPLES = [
    ex("fixed 100 @ 25", STOCKS, TODAY, FIXED, US, 100, 25.0, "commission", 1.00),
    ex("fixed 1,000 @ 25", STOCKS, TODAY, FIXED, US, 1000, 25.0, "commission", 5.00),
    ex("fixed 1,000 @ 0.25", STOCKS, TODAY, FIXED, US, 1000, 0.25, "commission", 2.50),
    ex("fixed fractional 0.1 @ 25", STOCKS, TODAY, FIXED, US, 0.1, 25.0, "commission", 0.01),
    ex("tiered 100 @ 25 minimum", STOCKS, TODAY, TIERED, US, 100, 25.0, "commission", 0.35),
    ex("fixed sell 200,000 @ 5", F713, Y2023, FIXED, US, -200_000, 5.0, "total", 1015.27),
    ex("tiered sell 200,000 @ 5", F713, Y2023, TIERED, US, -200_000, 5.0, "total", 1355.78),
    ex("fixed sell 30M @ 5", F713, Y2023, FIXED, US, -30e6, 5.0, "total", 151_207.27),
    ex("tiered sell 30M remove", F713, Y2023, TIERED, US, -30e6, 5.0, "total", 139_188.10),
    ex(
        "tiered sell 30M add",
        F713,
        Y2023,
        TIERED,
        US,
        -30e6,
        5.0,
        "total",
        -13_811.90,
        liquidity="add",
    ),
    ex(
        "API direct 500 @ 25",
        API_OLD,
        TODAY,
        FIXED,
        US_DIRECT,
        500,
        25.0,
        "commission",
        3.75,
        route="DIRECT",
    ),
    ex(
        "tiered account, API direct",
        ALT,
        TODAY,
        TIERED,
        US_DIRECT,
        500,
        25.0,
        "commission",
        3.75,
        route="DIRECT",
    ),
    ex("LSEETF USD via SMART, 1 @ 100", ISSUE, TODAY, FIXED, LSE_USD, 1, 100.0, "total", 4.00),
    ex("LSEETF USD, 1,000 @ 600", ISSUE, TODAY, FIXED, LSE_USD, 1000, 600.0, "total", 300.00),
    ex("EUR direct 100 @ 40", EUROPE, TODAY, FIXED, IBIS, 100, 40.0, "total", 4.00, route="DIRECT"),
    ex("EUR smart 1,000 @ 20", EUROPE, TODAY, FIXED, IBIS, 1000, 20.0, "total", 10.00),
    ex(
        "EUR old fixed 0.10 % = direct",
        EURO_EX,
        TODAY,
        FIXED,
        IBIS,
        1000,
        20.0,
        "total",
        20.00,
        route="DIRECT",
    ),
    ex("EUR tiered, tier 1", EURO_EX, TODAY, TIERED, IBIS, 1000, 20.0, "commission", 10.00),
    ex(
        "EUR tiered, tier 2",
        EURO_EX,
        TODAY,
        TIERED,
        IBIS,
        1000,
        20.0,
        "commission",
        6.00,
        before=60e6,
    ),
    ex("demo SELL QUAL 11", DEMO, DEMO_DAY, FIXED, QUAL, -11, 111.883, "total", 1.03),
    ex("demo SELL SIZE 12", DEMO, DEMO_DAY, FIXED, SIZE, -12, 111.121, "total", 1.03),
]


@pytest.mark.parametrize(
    ("source", "on", "plan", "asset", "quantity", "price", "what", "expected", "options"),
    STOCK_EXAMPLES,
)
def test_worked_examples_to_the_cent(
    source, on, plan, asset, quantity, price, what, expected, options
):
    before = options.get("before", 0)
    value_tiers = asset.currency == "EUR"
    table = fee_table(
        plan,
        (asset,),
        on=on,
        route=options.get("route", "SMART"),
        liquidity=options.get("liquidity", "remove"),
        month_to_date_shares=None if value_tiers else before,
        month_to_date_value=before if value_tiers else None,
    )
    q, p = np.array([quantity], float), np.array([price])
    lines = table.breakdown(q, p)
    total = float(table.commission(q, p)[0])
    assert total == pytest.approx(sum(float(v[0]) for v in lines.values()))
    got = float(lines["commission"][0]) if what == "commission" else total
    assert round(got, 2) == pytest.approx(expected, abs=1e-9), source


def test_tiered_200k_example_line_by_line():
    """f=713: 700 commission + 600 exchange + 40 clearing + SEC 8.00 + FINRA 0.39 + NYSE 0.12
    + TAF 7.27 = 1,355.78 (rates of 2023: SEC USD 8.00/M, TAF 0.000145 capped at 7.27)."""
    table = fee_table("ibkr-tiered", (US,), on="2023-06-01")
    lines = {k: float(v[0]) for k, v in table.breakdown(np.array([-200_000.0]), [5.0]).items()}
    assert lines["commission"] == pytest.approx(700.00)
    assert lines["exchange"] == pytest.approx(600.00)
    assert lines["clearing"] == pytest.approx(40.00)
    assert lines["sec"] == pytest.approx(8.00)
    assert lines["taf"] == pytest.approx(7.27)
    assert round(0.00056 * 700, 2) + round(0.000175 * 700, 2) == pytest.approx(0.51)
    assert lines["pass_through"] == pytest.approx(700 * (0.00056 + 0.000175))
    assert lines["cat"] == 0.0  # no CAT fee charged to customers before September 2024
    assert round(sum(lines.values()), 2) == pytest.approx(1355.78)


def test_tiered_30m_commission_is_marginal_across_volume_tiers():
    """f=713: first 300,000 @ 0.0035 = 1,050; next 2,700,000 @ 0.002 = 5,400; next
    17,000,000 @ 0.0015 = 25,500; next 10,000,000 @ 0.001 = 10,000."""
    table = fee_table("ibkr-tiered", (US,), on="2023-06-01")
    lines = table.breakdown(np.array([-30e6]), [5.0])
    assert float(lines["commission"][0]) == pytest.approx(1050 + 5400 + 25_500 + 10_000)
    assert float(lines["clearing"][0]) == pytest.approx(6000.00)
    assert float(lines["sec"][0]) == pytest.approx(1200.00)


@pytest.mark.parametrize(
    ("quantity", "expected", "line_commission"),
    [
        pytest.param(-200_000, 1363.86, 700.00, id="cost plus 200,000 @ 5"),
        pytest.param(-30e6, 140_596.78, 41_950.00, id="cost plus 30M @ 5 remove"),
    ],
)
def test_older_cost_plus_examples_with_their_regulatory_rates(quantity, expected, line_commission):
    """stocksPricing2.php (dated by its rates: SEC USD 17.40/M, in force until 2014-03-17,
    and TAF capped at 5.95): 700 + 600 + 40 + 17.40 + 0.39 + 0.12 + 5.95 = 1,363.86. The SEC
    and TAF of that date predate the data's history (2014-03-18), so they are given here.
    (Its third example, NYSE 30M remove = 125,596.78, contradicts its own lines: left out.)"""
    schedule = fee_table("ibkr-tiered", (US,), on="2014-03-18").schedules[0]
    dated = replace(
        schedule, sell_rate_of_value=17.40e-6, sell_per_share=0.000119, sell_maximum=5.95
    )
    table = FeeTable([dated])
    lines = table.breakdown(np.array([float(quantity)]), [5.0])
    assert float(lines["commission"][0]) == pytest.approx(line_commission)
    total = float(table.commission(np.array([float(quantity)]), [5.0])[0])
    assert round(total, 2) == pytest.approx(expected), COST_PLUS


def test_sec_fee_knowledge_base_example():
    """ibkr.info "SEC transaction fee": sell 1,000 @ 25.87 at USD 21.80/M (FY2016) =
    $0.563966 — unrounded, as the model keeps it."""
    table = fee_table("ibkr-fixed", (US,), on="2016-06-01")
    sec = float(table.breakdown(np.array([-1000.0]), [25.87])["sec"][0])
    assert sec == pytest.approx(0.563966, abs=1e-9)


@pytest.mark.parametrize(
    ("on", "shares", "cap"),
    [
        ("2021-06-01", 100_000, 5.95),  # 0.000119, cap 5.95
        ("2022-06-01", 100_000, 6.49),  # SR-FINRA-2020-032: 2022 0.000130, cap 6.49
        ("2023-06-01", 100_000, 7.27),  # 2023 0.000145, cap 7.27
        ("2024-06-01", 100_000, 8.30),  # 2024 0.000166, cap 8.30
    ],
)
def test_finra_taf_caps_by_year(on, shares, cap):
    table = fee_table("ibkr-fixed", (US,), on=on)
    assert float(table.breakdown(np.array([-float(shares)]), [10.0])["taf"][0]) == cap


@pytest.mark.parametrize(
    ("on", "per_million"),
    [
        ("2014-03-18", 22.10),  # FINRA Information Notice 3/3/14
        ("2018-05-22", 13.00),  # FINRA Information Notice 5/7/18
        ("2019-04-16", 20.70),  # SEC Fee Rate Advisory #2 FY2019
        ("2021-02-25", 5.10),  # SEC Fee Rate Advisory #2 FY2021
        ("2023-02-26", 22.90),  # FY2022 rate through 2023-02-26
        ("2023-02-27", 8.00),  # FY2023
        ("2024-05-22", 27.80),  # FY2024
        ("2025-05-14", 0.00),  # FY2025: Federal Register 2025-06214
        ("2026-04-04", 20.60),  # FY2026 (S)
    ],
)
def test_sec_section_31_rate_by_notice(on, per_million):
    table = fee_table("ibkr-fixed", (US,), on=on)
    sec = float(table.breakdown(np.array([-1.0]), [1e6])["sec"][0])  # USD 1M sold
    assert sec == pytest.approx(per_million)


FX_EXAMPLES = [
    ("USD 50,000 daily volume for EUR", 50_000, 0.0, 2.00),
    ("100,000 USD.EUR", 100_000, 0.0, 2.00),
    ("USD 1,000,000,000 monthly volume", 1e9, 0.0, 20_000.00),
    ("USD 1,250,000,000 monthly volume", 1.25e9, 0.0, 23_750.00),
]


@pytest.mark.parametrize(
    ("flow", "before", "expected"), [pytest.param(*r[1:], id=r[0]) for r in FX_EXAMPLES]
)
def test_idealpro_examples(flow, before, expected):
    """IBKR Forex pricing (FX above): 0.20 bp, min USD 2.00, marginal monthly tiers."""
    assert conversion_tiers("ibkr-fixed") == IDEALPRO_TIERS
    cost = tiered_conversion_commission(np.array([flow]), conversion_tiers("ibkr-fixed"), before)
    assert round(cost, 2) == pytest.approx(expected), FX
