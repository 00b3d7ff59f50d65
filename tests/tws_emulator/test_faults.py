"""The TWS emulator through the real ib_async client: faults, reconnects and restarts."""

from __future__ import annotations

import asyncio
import time

import pytest
from ib_async import IB, LimitOrder

from rp_tui.tws_emulator import Faults, In, OrderBehaviour, TwsEmulator, demo_scenario

from .conftest import capture_errors, connect, qualified, stock, until

pytestmark = pytest.mark.asyncio


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
