"""A GBP-based account holding an LSE-listed GBP ETF and a US-listed USD ETF."""

from __future__ import annotations

import datetime as dt

import pytest

from rp_tui.services.plan import build_plan
from rp_tui.services.session import make_broker, open_session
from rp_tui.tws_emulator import (
    Account,
    Instrument,
    Position,
    Quote,
    Scenario,
    TwsEmulator,
)
from rp_tui.tws_emulator.scenario import demo_history

CONFIG = """
base_currency = "GBP"
[strategy]
method = "erc"
lookback = 120
[rebalancing]
band = 0.01
cash_buffer = 0.0
[broker]
kind = "ibkr"
read_only = false
[[assets]]
symbol = "IGLT"
exchange = "SMART"
primary_exchange = "LSEETF"
currency = "GBP"
[[assets]]
symbol = "USMV"
exchange = "SMART"
primary_exchange = "BATS"
currency = "USD"
"""


@pytest.fixture
def scenario() -> Scenario:
    end = dt.date(2026, 11, 20)
    s = Scenario(
        accounts=[
            Account(
                base_currency="GBP",
                cash={"GBP": 1_000.0, "USD": 500.0},
                exchange_rates={"USD": 0.79},
            )
        ]
    )
    s.instruments += [
        Instrument(
            "IGLT",
            800_001,
            primary_exchange="LSEETF",
            currency="GBP",
            valid_exchanges="SMART,LSEETF",
        ),
        Instrument("USMV", 700_004),
    ]
    s.quotes["IGLT"] = Quote(bid=10.99, ask=11.01, last=11.0, close=11.0)
    s.quotes["USMV"] = Quote(bid=89.98, ask=90.02, last=90.0, close=90.0)
    s.positions += [Position("IGLT", 2_000, avg_cost=10.5), Position("USMV", 50, avg_cost=80.0)]
    s.bars["IGLT"] = demo_history("IGLT", 11.0, end)
    s.bars["USMV"] = demo_history("USMV", 90.0, end)
    return s


async def test_weights_and_drift_are_in_the_base_currency(tmp_path, scenario):
    config = tmp_path / "portfolio.toml"
    config.write_text(CONFIG)
    session = open_session(config)  # the bundled history has neither: IBKR's bars are used
    async with TwsEmulator(scenario) as emu:
        broker = make_broker(session, "ibkr", port=emu.port)
        try:
            plan = await build_plan(session, broker)
        finally:
            broker.disconnect()
    iglt, usmv = plan.positions
    assert plan.base_currency == "GBP"
    assert iglt.value == pytest.approx(2_000 * 11.0)  # GBP
    assert usmv.value == pytest.approx(50 * 90.0 * 0.79)  # USD converted to GBP
    cash = 1_000.0 + 500.0 * 0.79
    assert plan.nav == pytest.approx(iglt.value + usmv.value + cash)
    assert iglt.weight + usmv.weight + cash / plan.nav == pytest.approx(1.0)
    orders = {o.symbol: o for o in plan.orders}
    assert orders["IGLT"].side == "SELL" and orders["USMV"].side == "BUY"
    assert orders["IGLT"].currency == "GBP" and orders["USMV"].currency == "USD"
    assert orders["IGLT"].commission == pytest.approx(
        max(0.0005 * orders["IGLT"].notional, 3.0), rel=1e-9
    )  # LSE GBP fixed, min GBP 3
    assert plan.cash_after >= -1e-9


def test_backtest_without_history_asks_for_prices(tmp_path):
    from rp_tui.errors import DataError
    from rp_tui.services.backtest import BacktestOptions, backtest

    config = tmp_path / "portfolio.toml"
    config.write_text(CONFIG)
    with pytest.raises(DataError, match=r"no prices for IGLT.*--prices CSV"):
        backtest(open_session(config), BacktestOptions())
