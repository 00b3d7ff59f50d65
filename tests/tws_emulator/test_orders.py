"""The TWS emulator through the real ib_async client: orders, and encoders round-tripped."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

import pytest
from ib_async import IB, LimitOrder, MarketOrder
from ib_async.decoder import Decoder

from rp_tui.tws_emulator import (
    COMPLETED_ORDER,
    EXECUTION_DATA,
    OPEN_ORDER,
    UNSET_DOUBLE,
    OrderBehaviour,
    TwsEmulator,
    WhatIf,
)
from rp_tui.tws_emulator.protocol import fmt

from .conftest import capture_errors, qualified, stock, until

pytestmark = pytest.mark.asyncio


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
