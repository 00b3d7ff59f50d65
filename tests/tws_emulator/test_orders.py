"""The TWS emulator, exercised through the real ib_async client over loopback."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio
from ib_async import IB, LimitOrder, MarketOrder, Stock
from ib_async.decoder import Decoder

from rp_tui.tws_emulator import (
    COMPLETED_ORDER,
    EXECUTION_DATA,
    OPEN_ORDER,
    UNSET_DOUBLE,
    Account,
    Faults,
    In,
    Instrument,
    OrderBehaviour,
    Position,
    Quote,
    Scenario,
    TwsEmulator,
    WhatIf,
    demo_scenario,
)
from rp_tui.tws_emulator.protocol import fmt

pytestmark = pytest.mark.asyncio

Errors = list[tuple[int, int, str]]


async def until(predicate: Callable[[], object], timeout: float = 2.0) -> None:
    """Wait until ``predicate()`` is true (the client handles messages asynchronously)."""

    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)


async def connect(emu: TwsEmulator, client_id: int = 1, **kwargs: object) -> IB:
    """A connected client (``connectAsync`` including its start-up sync)."""
    ib = IB()
    await ib.connectAsync("127.0.0.1", emu.port, clientId=client_id, timeout=5, **kwargs)
    return ib


def capture_errors(ib: IB) -> Errors:
    errors: Errors = []
    ib.errorEvent += lambda req_id, code, text, _contract: errors.append((req_id, code, text))
    return errors


@pytest_asyncio.fixture
async def emu() -> AsyncIterator[TwsEmulator]:
    async with TwsEmulator(demo_scenario(end=dt.date(2024, 6, 28))) as emulator:
        yield emulator
        assert emulator.handler_errors == []


@pytest_asyncio.fixture
async def ib(emu: TwsEmulator) -> AsyncIterator[IB]:
    client = await connect(emu)
    yield client
    client.disconnect()


def stock(symbol: str) -> Stock:
    """A fresh, unqualified contract (qualifying mutates it in place)."""
    return Stock(symbol, "SMART", "USD")


async def qualified(ib: IB, symbol: str) -> Stock:
    (contract,) = await ib.qualifyContractsAsync(stock(symbol))
    assert contract is not None
    return contract


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


# --- orders -----------------------------------------------------------------------------


async def test_what_if_commission(emu: TwsEmulator, ib: IB) -> None:
    emu.scenario.what_if["MTUM"] = WhatIf(commission=1.25, min_commission=1.0, max_commission=2.5)
    emu.scenario.what_if["QUAL"] = WhatIf(commission=None)
    (mtum, qual) = await ib.qualifyContractsAsync(stock("MTUM"), stock("QUAL"))
    state = await asyncio.wait_for(ib.whatIfOrderAsync(mtum, LimitOrder("BUY", 10, 215.4)), 2)
    assert (state.commission, state.minCommission, state.maxCommission) == (1.25, 1.0, 2.5)
    assert float(state.initMarginChange) == pytest.approx(10 * 215.4 * 0.25)
    unknown = await asyncio.wait_for(ib.whatIfOrderAsync(qual, LimitOrder("SELL", 5, 178.25)), 2)
    assert unknown.commission == UNSET_DOUBLE == 1.7976931348623157e308
    assert [o.what_if for o in emu.placed_orders] == [True, True]
    assert emu.book.orders == {}  # a what-if is never booked


async def test_limit_order_fills(emu: TwsEmulator, ib: IB) -> None:
    mtum = await qualified(ib, "MTUM")
    order = LimitOrder("BUY", 10, 215.0, orderRef="run-1:0", tif="DAY", account="DU1234567")
    trade = ib.placeOrder(mtum, order)
    await until(lambda: trade.fills and trade.fills[0].commissionReport.execId)

    assert trade.orderStatus.status == "Filled"
    assert (trade.orderStatus.filled, trade.orderStatus.remaining) == (10, 0)
    assert trade.orderStatus.permId > 0
    (fill,) = trade.fills
    assert (fill.execution.shares, fill.execution.price, fill.execution.side) == (10, 215.0, "BOT")
    assert fill.execution.orderRef == "run-1:0"
    assert trade.order.orderRef == "run-1:0"
    assert fill.commissionReport.commission == 1.0
    assert [e.message for e in trade.log if e.message.startswith("Fill")] == ["Fill 10.0@215.0"]

    placed = emu.placed_orders[-1]
    assert (placed.order_id, placed.symbol, placed.action) == (order.orderId, "MTUM", "BUY")
    assert (placed.total_quantity, placed.order_type, placed.lmt_price) == (10, "LMT", 215.0)
    assert (placed.order_ref, placed.tif, placed.account, placed.what_if) == (
        "run-1:0",
        "DAY",
        "DU1234567",
        False,
    )
    # the fill moved the position and was pushed to the client
    await until(lambda: {p.contract.symbol: p.position for p in ib.positions()}["MTUM"] == 70)
    cash = emu.scenario.accounts[0].cash["USD"]
    assert cash == pytest.approx(25_000 - 10 * 215.0 - 1.0)


async def test_market_order_fills_at_the_quote(emu: TwsEmulator, ib: IB) -> None:
    usmv = await qualified(ib, "USMV")
    trade = ib.placeOrder(usmv, MarketOrder("SELL", 50))
    await until(lambda: trade.orderStatus.status == "Filled")
    assert trade.fills[0].execution.price == 91.35
    assert trade.fills[0].execution.side == "SLD"


async def test_partial_fill_leaves_remainder(emu: TwsEmulator, ib: IB) -> None:
    emu.scenario.behaviour_by_symbol["MTUM"] = OrderBehaviour.partial(4)
    mtum = await qualified(ib, "MTUM")
    trade = ib.placeOrder(mtum, LimitOrder("BUY", 10, 215.0))
    await until(lambda: trade.orderStatus.filled == 4)
    assert trade.orderStatus.status == "Submitted"
    assert trade.orderStatus.remaining == 6
    assert len(trade.fills) == 1
    assert not trade.isDone()

    emu.fill_order(trade.order.orderId, price=214.9)  # the rest fills later
    await until(lambda: trade.orderStatus.status == "Filled")
    assert [f.execution.shares for f in trade.fills] == [4, 6]
    assert trade.orderStatus.avgFillPrice == pytest.approx((4 * 215.0 + 6 * 214.9) / 10)


async def test_reject_with_reason(emu: TwsEmulator, ib: IB) -> None:
    emu.scenario.behaviour_by_ref["run-1:1"] = OrderBehaviour.reject("Insufficient funds")
    errors = capture_errors(ib)
    qual = await qualified(ib, "QUAL")
    trade = ib.placeOrder(qual, LimitOrder("BUY", 1000, 178.25, orderRef="run-1:1"))
    await until(lambda: trade.isDone())
    assert trade.orderStatus.status == "Cancelled"
    assert errors == [(trade.order.orderId, 201, "Order rejected - reason:Insufficient funds")]
    assert any(e.errorCode == 201 for e in trade.log)
    assert trade.fills == []


async def test_off_tick_and_fractional_orders_are_refused(emu: TwsEmulator, ib: IB) -> None:
    errors = capture_errors(ib)
    mtum = await qualified(ib, "MTUM")
    off_tick = ib.placeOrder(mtum, LimitOrder("BUY", 1, 215.005))
    fractional = ib.placeOrder(mtum, LimitOrder("BUY", 1.5, 215.0))
    await until(lambda: off_tick.isDone() and fractional.isDone())
    assert [code for _, code, _ in errors] == [110, 10243]
    assert emu.executions == []


async def test_open_order_then_cancel(emu: TwsEmulator, ib: IB) -> None:
    emu.scenario.default_behaviour = OrderBehaviour.stay_open()
    errors = capture_errors(ib)
    mtum = await qualified(ib, "MTUM")
    trade = ib.placeOrder(mtum, LimitOrder("SELL", 5, 230.0))
    await until(lambda: trade.orderStatus.status == "Submitted")
    assert ib.openTrades() == [trade]

    ib.cancelOrder(trade.order)
    await until(lambda: trade.orderStatus.status == "Cancelled")
    await until(lambda: errors)
    assert [code for _, code, _ in errors] == [202]
    (record,) = emu.book.orders.values()
    assert (record.status, record.filled) == ("Cancelled", 0)


# --- faults -----------------------------------------------------------------------------


async def test_drop_after_n_server_messages(emu: TwsEmulator, ib: IB) -> None:
    dropped = asyncio.Event()
    ib.disconnectedEvent += dropped.set
    emu.faults.drop_after_server_messages = 1
    # CURRENT_TIME is the one message still delivered; the socket closes right after it
    assert (await asyncio.wait_for(ib.reqCurrentTimeAsync(), 2)).year >= 2024
    await asyncio.wait_for(dropped.wait(), 2)
    assert not ib.isConnected()
    assert emu.faults.drop_after_server_messages is None  # one-shot


async def test_faults_dataclass_can_be_given_up_front() -> None:
    faults = Faults(drop_after_client_messages=1)
    async with TwsEmulator(demo_scenario(), faults=faults) as emu:
        ib = IB()
        # START_API is the fatal message: the client never sees MANAGED_ACCTS and gives up
        with pytest.raises(asyncio.TimeoutError):
            await ib.connectAsync("127.0.0.1", emu.port, clientId=1, timeout=0.3)
        assert emu.received_ids() == [In.START_API]
        assert emu.sessions == []  # it never became a session


async def test_connectivity_lost_and_restored(emu: TwsEmulator, ib: IB) -> None:
    errors = capture_errors(ib)
    emu.connectivity_lost()
    await until(lambda: len(errors) == 1)
    emu.connectivity_restored()
    await until(lambda: len(errors) == 2)
    assert [(req_id, code) for req_id, code, _ in errors] == [(-1, 1100), (-1, 1102)]
    assert "restored - data maintained" in errors[1][2]
    assert ib.isConnected()


async def test_duplicate_execution_report(emu: TwsEmulator, ib: IB) -> None:
    emu.scenario.behaviour_by_symbol["MTUM"] = OrderBehaviour(duplicate_execution=True)
    delivered: list[str] = []
    decode = ib.client.decoder.handlers[11]

    def spy(fields: list[str]) -> None:
        delivered.append(fields[14])  # execId
        decode(fields)

    ib.client.decoder.handlers[11] = spy
    mtum = await qualified(ib, "MTUM")
    trade = ib.placeOrder(mtum, LimitOrder("BUY", 3, 215.0))
    await until(lambda: trade.orderStatus.status == "Filled" and len(delivered) == 2)
    emu.resend_execution()
    await until(lambda: len(delivered) == 3)
    assert len(set(delivered)) == 1
    assert delivered[0] == emu.executions[0].exec_id
    assert len(trade.fills) == 1  # ib_async itself dedupes by execId


async def test_unknown_outcome_resolved_after_reconnect(emu: TwsEmulator) -> None:
    ib = await connect(emu)
    dropped = asyncio.Event()
    ib.disconnectedEvent += dropped.set
    (qual, vlue) = await ib.qualifyContractsAsync(stock("QUAL"), stock("VLUE"))
    emu.scenario.behaviour_by_symbol["VLUE"] = OrderBehaviour.stay_open()
    working = ib.placeOrder(vlue, LimitOrder("BUY", 2, 112.0, orderRef="run-2:1"))
    await until(lambda: working.orderStatus.status == "Submitted")
    emu.faults.drop_after_client_messages = 1  # the next order is filled but never answered
    lost = ib.placeOrder(qual, LimitOrder("SELL", 5, 178.0, orderRef="run-2:0"))
    await asyncio.wait_for(dropped.wait(), 2)
    assert lost.orderStatus.status == "PendingSubmit"
    assert [e.order.placed.order_ref for e in emu.executions] == ["run-2:0"]

    ib2 = await connect(emu)
    try:
        by_ref = {t.order.orderRef: t for t in ib2.trades()}
        assert by_ref["run-2:0"].orderStatus.status == "Filled"
        assert by_ref["run-2:1"].orderStatus.status == "Submitted"
        assert [t.order.orderRef for t in ib2.openTrades()] == ["run-2:1"]
        fills = await ib2.reqExecutionsAsync()
        assert [(f.execution.orderRef, f.execution.shares) for f in fills] == [("run-2:0", 5)]
        assert fills[0].execution.execId == emu.executions[0].exec_id
        # the commission report is booked on the fill the connect-time sync created
        assert ib2.fills()[0].commissionReport.commission == 1.0
        assert len(emu.sessions) == 2 and emu.sessions[0].closed
    finally:
        ib2.disconnect()


async def test_restart_with_lower_next_valid_id(emu: TwsEmulator) -> None:
    ib = await connect(emu)
    mtum = await qualified(ib, "MTUM")
    first = ib.placeOrder(mtum, LimitOrder("BUY", 1, 215.0))
    await until(lambda: first.orderStatus.status == "Filled")
    used_id = first.order.orderId
    ib.disconnect()

    await emu.restart(next_valid_id=1)
    ib2 = IB()
    next_ids: list[int] = []
    ib2.wrapper.nextValidId = next_ids.append
    errors = capture_errors(ib2)
    await ib2.connectAsync("127.0.0.1", emu.port, clientId=1, timeout=5)
    try:
        assert next_ids == [1]
        again = LimitOrder("BUY", 1, 215.0)
        again.orderId = used_id  # what a client trusting nextValidId ends up doing
        trade = ib2.placeOrder(mtum, again)
        await until(lambda: trade.isDone())
        assert (used_id, 103) in [(req_id, code) for req_id, code, _ in errors]
        assert len(emu.executions) == 1
    finally:
        ib2.disconnect()


async def test_slow_replies(emu: TwsEmulator, ib: IB) -> None:
    emu.faults.reply_delay = 0.2
    started = time.perf_counter()
    await asyncio.wait_for(ib.reqCurrentTimeAsync(), 2)
    assert time.perf_counter() - started >= 0.2


# --- encoders round-trip through ib_async's Decoder ---------------------------------------


class _Recorder:
    """A stand-in for ib_async's Wrapper that records every call."""

    defaultTimezone = dt.UTC

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[object, ...]]] = []

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args: self.calls.append((name, args))


def _decode(message: list[object]) -> tuple[str, tuple[object, ...]]:
    recorder = _Recorder()
    Decoder(recorder, 176).interpret([fmt(f) for f in message])
    (call,) = recorder.calls  # an exception inside the decoder would leave this empty
    return call


async def test_open_order_encoder_round_trips(emu: TwsEmulator, ib: IB) -> None:
    emu.scenario.default_behaviour = OrderBehaviour.stay_open()
    mtum = await qualified(ib, "MTUM")
    trade = ib.placeOrder(mtum, LimitOrder("SELL", 7, 216.5, orderRef="rt:1", tif="GTC"))
    await until(lambda: trade.orderStatus.status == "Submitted")
    (record,) = emu.book.orders.values()

    message = emu.book.open_order_message(record)
    assert len(message) == len(OPEN_ORDER) == 128
    name, (order_id, contract, order, state) = _decode(message)
    assert (name, order_id, contract.conId, contract.symbol) == (
        "openOrder",
        order_id,
        700_001,
        "MTUM",
    )
    assert (order.action, order.totalQuantity, order.orderType) == ("SELL", 7, "LMT")
    assert (order.lmtPrice, order.tif, order.orderRef) == (216.5, "GTC", "rt:1")
    assert (order.permId, order.clientId, order.account) == (record.perm_id, 1, "DU1234567")
    assert (state.status, order.whatIf) == ("Submitted", False)

    record.finish("Cancelled")
    name, (contract, order, state) = _decode(emu.book.completed_order_message(record))
    assert len(COMPLETED_ORDER) == 97
    assert (name, contract.symbol, order.orderRef, order.permId) == (
        "completedOrder",
        "MTUM",
        "rt:1",
        record.perm_id,
    )
    assert state.status == "Cancelled"


async def test_execution_encoder_round_trips(emu: TwsEmulator, ib: IB) -> None:
    mtum = await qualified(ib, "MTUM")
    trade = ib.placeOrder(mtum, LimitOrder("BUY", 2, 215.0, orderRef="rt:2"))
    await until(lambda: trade.orderStatus.status == "Filled")
    message = emu.book.execution_message(emu.executions[0], req_id=42)
    assert len(message) == len(EXECUTION_DATA) == 31
    name, (req_id, contract, execution) = _decode(message)
    assert (name, req_id, contract.symbol) == ("execDetails", 42, "MTUM")
    assert (execution.orderRef, execution.shares, execution.price) == ("rt:2", 2, 215.0)
    assert execution.time.tzinfo is not None
