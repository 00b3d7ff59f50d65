"""Backtests pay the fees of their day: SEC and TAF in force on each trade date (2015-2022)."""

import numpy as np
import pytest

from rp_tui.domain.allocation import erc_weights
from rp_tui.domain.rebalance import RebalanceRules
from rp_tui.domain.replay import BacktestSpec, run_backtest
from rp_tui.domain.returns import sample_covariance
from rp_tui.inputs.bundled_data import FACTOR_ETFS
from rp_tui.inputs.fee_data import dated_fees, fee_table
from rp_tui.inputs.portfolio import Asset
from rp_tui.inputs.prices import load_prices
from tests.conftest import PORTFOLIO

ASSETS = tuple(Asset(s, "SMART", "USD", "BATS") for s in ("MTUM", "QUAL", "SIZE", "USMV", "VLUE"))


def erc(returns):
    return erc_weights(sample_covariance(returns))


@pytest.fixture(scope="module")
def runs():
    history = load_prices(bundled=FACTOR_ETFS)
    spec = BacktestSpec(126, "monthly", RebalanceRules(band=0.0), 100_000.0)
    today = fee_table("ibkr-fixed", ASSETS)
    fees_on = dated_fees("ibkr-fixed", ASSETS)
    dated = run_backtest(history.dates, history.closes, today, spec, erc, fees_on=fees_on)
    plain = run_backtest(history.dates, history.closes, today, spec, erc)
    return dated, plain, fees_on, today


def test_every_trade_pays_the_fees_in_force_on_its_date(runs):
    dated, _, fees_on, _ = runs
    trades = dated.trades
    assert str(trades.dates.min()) < "2016-01-01" and str(trades.dates.max()) >= "2022-11-01"
    for date, asset, quantity, price, paid in zip(
        trades.dates,
        trades.assets,
        trades.quantities,
        trades.prices,
        trades.commissions,
        strict=True,
    ):
        q = np.zeros(len(ASSETS))
        q[asset] = quantity
        expected = fees_on(date).commission(q, np.full(len(ASSETS), price))[asset]
        assert paid == pytest.approx(expected)


def test_sales_pay_the_sec_rate_and_taf_of_their_year(runs):
    dated, _, fees_on, today = runs
    sells = dated.trades.quantities < 0
    rates = {
        (round(s.sell_rate_of_value * 1e6, 2), s.sell_per_share)
        for s in (fees_on(d).schedules[0] for d in dated.trades.dates[sells])
    }
    assert len(rates) >= 3  # several fiscal years' SEC rates and TAF rates
    now = today.schedules[0]
    assert (round(now.sell_rate_of_value * 1e6, 2), now.sell_per_share) not in rates
    assert fees_on("2018-06-29").schedules[0].sell_rate_of_value == pytest.approx(13.00e-6)
    assert fees_on("2021-03-31").schedules[0].sell_rate_of_value == pytest.approx(5.10e-6)
    assert fees_on("2019-12-31").schedules[0].sell_per_share == 0.000119
    assert fees_on("2022-12-28").schedules[0].sell_per_share == 0.000130


def test_dated_fees_differ_from_todays_and_stay_fast(runs):
    dated, plain, _, _ = runs
    assert dated.fees_paid != pytest.approx(plain.fees_paid, abs=1e-6)
    assert dated.trades.commissions.sum() == pytest.approx(dated.fees_paid)


def test_buys_before_september_2024_pay_no_cat(runs):
    dated, _, _, today = runs
    buys = dated.trades.quantities > 0
    assert buys.any()
    # the demo history ends 2022-12-28: a minimum-commission buy costs exactly USD 1.00
    small = (
        buys
        & (dated.trades.quantities * 0.005 < 1.0)
        & (dated.trades.quantities * dated.trades.prices * 0.01 > 1.0)
    )
    assert small.any()
    assert dated.trades.commissions[small] == pytest.approx(1.0)
    assert today.schedules[0].cat_per_share > 0  # … where today's schedule would add CAT


def test_backtest_report_carries_the_fee_note():
    from rp_tui.services.backtest import BacktestOptions, backtest
    from rp_tui.services.session import open_session

    report = backtest(open_session(PORTFOLIO), BacktestOptions())
    assert "in force on each trade date" in report.fee_note
    assert "Unverified" in report.fee_note
    none = backtest(open_session(PORTFOLIO), BacktestOptions(fees="none"))
    assert none.fee_note == ""
