"""The TWS emulator through the real ib_async client: connection, account data, market data."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest
from ib_async import IB

from rp_tui.tws_emulator import Account, In, Instrument, Position, Quote, Scenario, TwsEmulator

from .conftest import capture_errors, connect, qualified, stock

pytestmark = pytest.mark.asyncio


# --- connection -------------------------------------------------------------------------


@pytest.mark.parametrize("readonly", [False, True])
async def test_connect_completes_fast(emu: TwsEmulator, readonly: bool) -> None:
    started = time.perf_counter()
    ib = await connect(emu, readonly=readonly)
    elapsed = time.perf_counter() - started
    try:
        assert elapsed < 2.0
        assert ib.isConnected()
        assert ib.managedAccounts() == ["DU1234567"]
        (session,) = emu.sessions
        assert session.client_id == 1
        assert session.received[In.REQ_POSITIONS] == 1
        assert session.received[In.REQ_EXECUTIONS] == 1
        expected_order_syncs = 0 if readonly else 1
        assert session.received[In.REQ_OPEN_ORDERS] == expected_order_syncs
        assert session.received[In.REQ_COMPLETED_ORDERS] == expected_order_syncs
        assert emu.received[0][0] == In.START_API
        assert (await ib.reqCurrentTimeAsync()).year >= 2024
    finally:
        ib.disconnect()


async def test_farm_status_warnings_reach_the_client(emu: TwsEmulator) -> None:
    ib = IB()
    errors = capture_errors(ib)
    await ib.connectAsync("127.0.0.1", emu.port, clientId=7, timeout=5)
    ib.disconnect()
    assert [code for _, code, _ in errors] == [2104, 2106, 2158]


# --- account data -----------------------------------------------------------------------


async def test_account_values_in_several_currencies() -> None:
    scenario = Scenario(
        accounts=[
            Account(
                "DU7654321",
                base_currency="GBP",
                cash={"GBP": 10_000.0, "USD": 5_000.0},
                exchange_rates={"USD": 0.8},
            )
        ],
        instruments=[Instrument("QUAL", 700_002)],
        positions=[Position("QUAL", 10, avg_cost=150.0, market_price=160.0)],
    )
    async with TwsEmulator(scenario) as emu:
        ib = await connect(emu)
        values = {(v.tag, v.currency): v.value for v in ib.accountValues()}
        summary = {(v.tag, v.currency): v.value for v in await ib.accountSummaryAsync()}
        ib.disconnect()
    assert values[("ExchangeRate", "USD")] == "0.8"
    assert values[("ExchangeRate", "GBP")] == "1"
    assert values[("CashBalance", "GBP")] == "10000.00"
    assert values[("CashBalance", "USD")] == "5000.00"
    assert values[("CashBalance", "BASE")] == "14000.00"  # 10 000 + 5 000 × 0.8
    assert values[("NetLiquidation", "GBP")] == "15280.00"  # + 10 × 160 USD × 0.8
    assert values[("TotalCashValue", "GBP")] == "14000.00"
    assert summary[("NetLiquidation", "GBP")] == "15280.00"
    assert summary[("CashBalance", "USD")] == "5000.00"  # $LEDGER:ALL
    assert emu.sessions[0].received[In.REQ_ACCOUNT_UPDATES_MULTI] == 1


async def test_two_accounts_are_managed_and_synced() -> None:
    scenario = Scenario(accounts=[Account("DU1111111"), Account("DU2222222", cash={"USD": 7.0})])
    async with TwsEmulator(scenario) as emu:
        ib = await connect(emu)
        accounts = ib.managedAccounts()
        cash = {v.account: v.value for v in ib.accountValues() if v.tag == "TotalCashValue"}
        ib.disconnect()
    assert accounts == ["DU1111111", "DU2222222"]
    assert cash == {"DU1111111": "100000.00", "DU2222222": "7.00"}


async def test_positions_and_portfolio(ib: IB) -> None:
    positions = {p.contract.symbol: p for p in ib.positions()}
    assert sorted(positions) == ["MTUM", "QUAL", "SIZE", "USMV", "VLUE"]
    mtum = positions["MTUM"]
    assert (mtum.position, mtum.contract.conId, mtum.contract.currency) == (60, 700_001, "USD")
    assert mtum.avgCost == pytest.approx(215.40 * 0.93)
    portfolio = {item.contract.symbol: item for item in ib.portfolio()}
    usmv = portfolio["USMV"]
    assert usmv.contract.primaryExchange == "BATS"
    assert usmv.marketPrice == 91.35
    assert usmv.marketValue == pytest.approx(150 * 91.35)


# --- contracts and market data ----------------------------------------------------------


async def test_qualify_known_unknown_and_ambiguous(emu: TwsEmulator, ib: IB) -> None:
    errors = capture_errors(ib)
    emu.scenario.make_ambiguous("SIZE")
    known, unknown, ambiguous = await ib.qualifyContractsAsync(
        stock("QUAL"), stock("NOPE"), stock("SIZE")
    )
    assert known is not None
    assert (known.conId, known.primaryExchange, known.exchange) == (700_002, "BATS", "SMART")
    assert unknown is None
    assert ambiguous is None
    assert [code for _, code, _ in errors] == [200]
    details = await ib.reqContractDetailsAsync(stock("USMV"))
    assert details[0].minTick == 0.01
    assert details[0].longName == "ISHARES MSCI USA MIN VOL FAC"


async def test_live_snapshot(ib: IB) -> None:
    (ticker,) = await asyncio.wait_for(ib.reqTickersAsync(await qualified(ib, "MTUM")), 2)
    assert (ticker.bid, ticker.ask, ticker.last, ticker.close) == (215.38, 215.42, 215.40, 215.40)
    assert ticker.marketDataType == 1


async def test_delayed_fallback_after_10089(emu: TwsEmulator, ib: IB) -> None:
    emu.scenario.quotes["VLUE"] = Quote(bid=99.9, ask=100.1, last=100.0, close=98.0, live=False)
    errors = capture_errors(ib)
    vlue = await qualified(ib, "VLUE")
    (live,) = await asyncio.wait_for(ib.reqTickersAsync(vlue), 2)
    assert [code for _, code, _ in errors] == [10089]
    assert live.last != live.last  # NaN: nothing arrived

    ib.reqMarketDataType(3)
    (delayed,) = await asyncio.wait_for(ib.reqTickersAsync(vlue), 2)
    assert (delayed.bid, delayed.ask, delayed.last, delayed.close) == (99.9, 100.1, 100.0, 98.0)
    assert delayed.marketDataType == 3
    assert {tick.tickType for tick in delayed.ticks} == {66, 67, 68, 75}


async def test_warning_10167_is_followed_by_delayed_ticks(emu: TwsEmulator, ib: IB) -> None:
    emu.scenario.quotes["SIZE"] = Quote(last=150.0, live=False, not_subscribed_code=10167)
    errors = capture_errors(ib)
    (ticker,) = await asyncio.wait_for(ib.reqTickersAsync(await qualified(ib, "SIZE")), 2)
    assert [code for _, code, _ in errors] == [10167]
    assert (ticker.last, ticker.marketDataType) == (150.0, 3)


async def test_historical_daily_bars(emu: TwsEmulator, ib: IB) -> None:
    emu.scenario.set_history(
        "QUAL", [("20240102", 150.0), ("20240103", 151.5), ("20240104", 149.25)]
    )
    bars = await ib.reqHistoricalDataAsync(
        stock("QUAL"), "", "1 Y", "1 day", "ADJUSTED_LAST", True, timeout=5
    )
    assert [(b.date, b.close) for b in bars] == [
        (dt.date(2024, 1, 2), 150.0),
        (dt.date(2024, 1, 3), 151.5),
        (dt.date(2024, 1, 4), 149.25),
    ]
    demo = await ib.reqHistoricalDataAsync(
        stock("MTUM"), "", "1 M", "1 day", "TRADES", True, timeout=5
    )
    assert demo[-1].date == dt.date(2024, 6, 28)
    assert 20 <= len(demo) <= 23


async def test_historical_error_on_demand(emu: TwsEmulator, ib: IB) -> None:
    errors = capture_errors(ib)
    emu.fail_next(In.REQ_HISTORICAL_DATA, 162)
    bars = await ib.reqHistoricalDataAsync(
        stock("MTUM"), "", "1 M", "1 day", "TRADES", True, timeout=5
    )
    assert list(bars) == []
    assert [code for _, code, _ in errors] == [162]
