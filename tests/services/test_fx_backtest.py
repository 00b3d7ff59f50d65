"""A GBP portfolio of USD-listed ETFs: values through an FX series, conversions charged."""

import numpy as np
import pytest

from rp_tui.errors import DataError
from rp_tui.inputs.bundled_data import FACTOR_ETFS
from rp_tui.inputs.prices import load_prices
from rp_tui.services.backtest import BacktestOptions, backtest
from rp_tui.services.policy import PolicyOverrides
from rp_tui.services.session import open_session
from tests.conftest import PORTFOLIO


@pytest.fixture
def gbp_session(tmp_path):
    path = tmp_path / "portfolio.toml"
    path.write_text(PORTFOLIO.read_text().replace('base_currency = "USD"', 'base_currency = "GBP"'))
    return open_session(path)


@pytest.fixture
def fx_csv(tmp_path):
    dates = load_prices(bundled=FACTOR_ETFS).dates
    rates = np.linspace(0.80, 0.70, len(dates))  # GBP per USD: the pound strengthens
    path = tmp_path / "fx.csv"
    path.write_text(
        "Date,USD\n" + "".join(f"{d},{r:.6f}\n" for d, r in zip(dates, rates, strict=True))
    )
    return path, dates, rates


def test_fx_moves_base_currency_value_exactly(gbp_session, fx_csv):
    path, dates, rates = fx_csv
    options = BacktestOptions(
        fees="none", policy=PolicyOverrides(fractional=True), fx_path=str(path), benchmarks=()
    )
    gbp = backtest(gbp_session, options).result
    usd = backtest(
        open_session(PORTFOLIO),
        BacktestOptions(fees="none", policy=PolicyOverrides(fractional=True), benchmarks=()),
    ).result
    assert list(gbp.rebalance_dates) == list(usd.rebalance_dates)
    fx = rates[np.searchsorted(dates, gbp.dates)]
    invested = 1 - gbp_session.portfolio.rebalancing.cash_buffer  # the cash stays in GBP
    usd_part = (usd.equity - usd.equity[0] * (1 - invested)) / (usd.equity[0] * invested)
    gbp_part = (gbp.equity - gbp.equity[0] * (1 - invested)) / (gbp.equity[0] * invested)
    np.testing.assert_allclose(gbp_part, usd_part * fx / fx[0], rtol=2e-3)


def test_conversion_commission_is_charged(gbp_session, fx_csv):
    path, _, _ = fx_csv
    with_fx = backtest(gbp_session, BacktestOptions(fx_path=str(path), benchmarks=())).result
    trades_fees = with_fx.trades.commissions @ (0.8 * np.ones(len(with_fx.trades.commissions)))
    assert with_fx.fees_paid > 0.0
    assert with_fx.fees_paid - trades_fees > 2.0 * 0.7 * 10  # ≥ USD 2 a conversion, many of them


def test_foreign_listings_need_an_fx_file(gbp_session, tmp_path):
    with pytest.raises(DataError, match="USD listings in a GBP portfolio: pass --fx CSV"):
        backtest(gbp_session, BacktestOptions())
    bad = tmp_path / "fx.csv"
    bad.write_text("Date,EUR\n2014-01-02,0.8\n")
    with pytest.raises(DataError, match="no prices for USD"):
        backtest(gbp_session, BacktestOptions(fx_path=str(bad)))
