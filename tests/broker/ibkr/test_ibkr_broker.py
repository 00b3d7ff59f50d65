"""The IBKR broker through the real ib_async client and the loopback TWS emulator."""

from __future__ import annotations

import asyncio
import time

import pytest

from rp_tui.broker.ibkr import IbkrBroker
from rp_tui.domain.safety import SafetyLimits, TradingState
from rp_tui.errors import BrokerError
from rp_tui.inputs.portfolio import Asset
from rp_tui.services.execution import execute_plan
from rp_tui.services.plan import build_plan
from rp_tui.state.trade_log import TradeLog
from rp_tui.state.trading_state import write_trading_state
from rp_tui.tws_emulator import Account, In, OrderBehaviour, Quote


async def test_snapshot_shows_the_account(connect, emulator):
    broker = connect()
    snap = await broker.snapshot()
    assert snap.account == "DU1234567" and snap.broker == "ibkr"
    assert snap.quantities == {"MTUM": 60, "QUAL": 75, "SIZE": 40, "USMV": 150, "VLUE": 90}
    assert snap.cash == pytest.approx(25_000.0)
    assert snap.prices["MTUM"] == pytest.approx(215.40)
    assert set(snap.quote_kinds.values()) == {"live"} and not snap.blocked


async def test_delayed_fallback_and_missing_price(connect, emulator):
    emulator.scenario.quotes["MTUM"].live = False  # error 10089, then delayed ticks
    emulator.scenario.quotes["QUAL"] = Quote(close=178.0)  # only yesterday's close
    snap = await connect().snapshot()
    assert snap.quote_kinds["MTUM"] == "delayed" and snap.prices["MTUM"] == pytest.approx(215.40)
    assert "QUAL" in snap.blocked and "close" in snap.blocked["QUAL"]
    assert "MTUM" not in snap.blocked


async def test_plan_blocks_orders_of_a_symbol_without_a_fresh_price(session, connect, emulator):
    emulator.scenario.quotes["SIZE"] = Quote()  # nothing at all: TWS's mark values the holding
    plan = await build_plan(session, connect())
    assert "SIZE" in plan.blocked
    assert all(o.symbol != "SIZE" for o in plan.orders)
    assert plan.orders, "the other assets are still planned"


async def test_unknown_symbol_blocks_the_plan(session, emulator):
    assets = (*session.portfolio.assets, Asset("ZZZZ", "SMART", "USD", "BATS"))
    broker = IbkrBroker(
        session.portfolio.broker.__class__(port=emulator.port), assets, "USD", session.fees
    )
    try:
        with pytest.raises(BrokerError, match=r"ZZZZ \(SMART/USD\).*error 200"):
            await broker.snapshot()
    finally:
        broker.disconnect()


async def test_unreachable_tws_is_named():
    from rp_tui.inputs.portfolio import BrokerSettings

    broker = IbkrBroker(BrokerSettings(port=1, connect_timeout=1), (), "USD", None)
    with pytest.raises(BrokerError, match=r"cannot reach TWS / IB Gateway at 127\.0\.0\.1:1"):
        await broker.connect()


async def test_base_currency_mismatch_is_refused(connect, emulator):
    emulator.scenario.accounts[0] = Account(
        base_currency="GBP", cash={"GBP": 1000.0}, exchange_rates={"USD": 0.79}
    )
    with pytest.raises(BrokerError, match='base_currency = "GBP"'):
        await connect().snapshot()


async def test_execute_sells_first_logs_intents_and_books_commissions(session, connect, emulator):
    broker = connect()
    plan = await build_plan(session, broker)
    sides = [o.side for o in plan.orders]
    assert sides == sorted(sides, key=lambda s: s != "SELL") and "BUY" in sides
    fills = await execute_plan(broker, plan, run_id="t1")
    assert [f.status for f in fills] == ["filled"] * len(plan.orders)
    assert all(f.commission == pytest.approx(1.0) for f in fills)
    placed = [p for p in emulator.placed_orders if not p.what_if]
    assert [p.order_ref for p in placed] == [f"rp-tui:t1:{i}" for i in range(len(placed))]
    assert all(p.order_type == "LMT" and p.account == "DU1234567" for p in placed)
    events = [(r["event"], r.get("order_ref")) for r in TradeLog().read()]
    first_submit = events.index(("submitted", "rp-tui:t1:0"))
    assert ("intent", "rp-tui:t1:0") in events[:first_submit]
    assert sum(e == "fill" for e, _ in events) == len(fills)
    statuses = [r for r in TradeLog().read() if r["event"] == "status"]
    assert {r["status"] for r in statuses} >= {"Submitted", "Filled"}
    assert all(r["order_ref"].startswith("rp-tui:t1:") for r in statuses)


async def test_partial_fill_and_reject_are_reported(session, connect, emulator):
    broker = connect()
    plan = await build_plan(session, broker)
    buys = [o for o in plan.orders if o.side == "BUY"]
    emulator.scenario.behaviour_by_symbol[buys[0].symbol] = OrderBehaviour.partial(1)
    if len(buys) > 1:
        emulator.scenario.behaviour_by_symbol[buys[1].symbol] = OrderBehaviour.reject(
            "Order rejected - reason: insufficient funds"
        )
    broker.execution = broker.execution.__class__(fill_timeout=1.0)
    fills = {f.symbol: f for f in await execute_plan(broker, plan, run_id="t2")}
    first = fills[buys[0].symbol]
    assert first.status == "partial" and first.quantity == 1
    assert first.remaining == buys[0].quantity - 1
    if len(buys) > 1:
        second = fills[buys[1].symbol]
        assert second.status == "rejected" and "insufficient funds" in second.message


async def test_pre_trade_caps_refuse_before_anything_is_sent(session, connect, emulator):
    broker = connect()
    plan = await build_plan(session, broker)
    broker.limits = SafetyLimits(max_order_notional=100.0)
    with pytest.raises(BrokerError, match="max_order_notional"):
        await execute_plan(broker, plan, run_id="t3")
    assert not [p for p in emulator.placed_orders if not p.what_if]
    assert TradeLog().read()[-1]["event"] == "refused"


async def test_halted_and_read_only_send_nothing(session, connect, emulator):
    broker = connect()
    plan = await build_plan(session, broker)
    write_trading_state(TradingState.HALTED)
    with pytest.raises(BrokerError, match="HALTED"):
        await execute_plan(broker, plan)
    write_trading_state(TradingState.ACTIVE)
    reader = connect(read_only=True, client_id=18)
    plan = await build_plan(session, reader)
    with pytest.raises(BrokerError, match="read_only = false"):
        await execute_plan(reader, plan)
    assert not [p for p in emulator.placed_orders if not p.what_if]


async def test_live_account_needs_allow_live_and_typed_confirmation(session, connect, emulator):
    emulator.scenario.accounts[0].account_id = "U7654321"
    for position in emulator.scenario.positions:
        position.account = "U7654321"
    broker = connect()
    plan = await build_plan(session, broker)
    with pytest.raises(BrokerError, match="allow_live = true"):
        await execute_plan(broker, plan)
    live = connect(allow_live=True, client_id=19)
    plan = await build_plan(session, live)
    with pytest.raises(BrokerError, match="type its id"):
        await execute_plan(live, plan, typed_confirmation="U0000000")
    assert not [p for p in emulator.placed_orders if not p.what_if]
    fills = await execute_plan(live, plan, typed_confirmation="U7654321")
    assert fills and all(f.status == "filled" for f in fills)


async def eventually(condition, timeout: float = 60.0) -> None:
    """Poll ``condition()`` until true; fail after ``timeout`` seconds (loaded machines)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_connectivity_lost_stops_sending(session, connect, emulator):
    broker = connect()
    plan = await build_plan(session, broker)
    emulator.connectivity_lost()
    await eventually(lambda: broker.connectivity_lost)  # TWS's 1100 has arrived
    with pytest.raises(BrokerError, match="not connected"):
        await execute_plan(broker, plan)
    emulator.connectivity_restored()
    await eventually(lambda: not broker.connectivity_lost)


async def test_dropped_connection_leaves_an_unknown_outcome_never_resent(
    session, connect, emulator
):
    broker = connect()
    plan = await build_plan(session, broker)
    broker.execution = broker.execution.__class__(fill_timeout=5.0)
    emulator.scenario.default_behaviour = OrderBehaviour.stay_open()
    run = asyncio.create_task(execute_plan(broker, plan, run_id="t4"))
    await emulator.wait_received(In.PLACE_ORDER)
    emulator.drop_connections()  # the order went out; its outcome never comes back
    fills = await asyncio.wait_for(run, 5)
    unknown = [f for f in fills if f.status == "unknown"]
    assert unknown and all(f.status in ("unknown", "cancelled") for f in fills)
    assert all("not sent" in f.message for f in fills if f.status == "cancelled")
    refs = [p.order_ref for p in emulator.placed_orders if not p.what_if]
    assert sorted(refs) == sorted({f.order_ref for f in unknown}), "each sent once, none after"
    log = TradeLog().read()
    assert any(r["event"] == "result" and r["status"] == "unknown" for r in log)


async def test_buys_are_resized_on_the_cash_the_sells_actually_brought(session, connect, emulator):
    account = emulator.scenario.accounts[0]
    account.cash = {"USD": 0.0}
    next(p for p in emulator.scenario.positions if p.symbol == "MTUM").quantity = 400
    broker = connect()
    broker.limits = SafetyLimits(max_order_notional=1e6, max_order_pct_nav=1.0)
    plan = await build_plan(session, broker)
    assert plan.orders[0].side == "SELL" and plan.orders[0].symbol == "MTUM"
    emulator.scenario.behaviour_by_symbol["MTUM"] = OrderBehaviour.fill(price=100.0)  # not 215
    fills = await execute_plan(broker, plan, run_id="t5")
    sold = fills[0]
    assert sold.status == "filled" and sold.price == pytest.approx(100.0)
    received = sold.quantity * sold.price - sold.commission
    spent = sum(f.quantity * f.price + f.commission for f in fills if f.side == "BUY")
    assert 0 < spent <= plan.buy_budget + received + 1e-6
    assert any(r["event"] == "resized" for r in TradeLog().read())


async def test_what_if_commission_beside_the_model(session, connect, emulator):
    from rp_tui.services.execution import what_if_commissions
    from rp_tui.tws_emulator import WhatIf

    broker = connect()
    plan = await build_plan(session, broker)
    first, second = plan.orders[0].symbol, plan.orders[1].symbol
    emulator.scenario.what_if[first] = WhatIf(commission=1.37)
    emulator.scenario.what_if[second] = WhatIf(commission=None)  # TWS sends 1.797e308
    estimates = await what_if_commissions(broker, plan)
    assert estimates[first] == pytest.approx(1.37)
    assert estimates[second] != estimates[second]  # NaN: unknown, never a number
    assert not [p for p in emulator.placed_orders if not p.what_if], "what-if sends no order"
    reader = connect(read_only=True, client_id=41)
    nan = await what_if_commissions(reader, await build_plan(session, reader))
    assert all(v != v for v in nan.values())


async def test_supervise_reconnects_after_a_drop(connect, emulator):
    statuses: list[str] = []
    broker = connect()
    broker.on_status = statuses.append
    await broker.connect()
    task = asyncio.create_task(broker.supervise(first_delay=0.05))
    try:
        emulator.faults.reply_delay = 0.0
        await emulator.stop()  # TWS goes away: the client sees the drop, retries fail
        await eventually(lambda: any("retrying" in s for s in statuses))
        assert any("retrying in" in s and f":{emulator.port}" in s for s in statuses)
        await emulator.start()  # TWS is back on the same port
        # the socket reconnects before the handshake ends: wait for the status that says so
        await eventually(lambda: statuses[-1].startswith("connected to DU1234567"))
        assert broker.ib.isConnected()
    finally:
        broker.disconnect()
        task.cancel()


async def test_a_working_order_blocks_new_orders_for_that_asset(session, connect, emulator):
    broker = connect()
    plan = await build_plan(session, broker)
    symbol = plan.orders[0].symbol
    emulator.scenario.behaviour_by_symbol[symbol] = OrderBehaviour.stay_open()
    broker.execution = broker.execution.__class__(fill_timeout=0.5, unfilled="keep")
    fills = await execute_plan(broker, plan, run_id="t6")
    assert next(f for f in fills if f.symbol == symbol).status == "open"
    again = await build_plan(session, connect(client_id=51))  # a restart: reconciles on connect
    assert "still working" in again.blocked[symbol]
    assert all(o.symbol != symbol for o in again.orders)


async def test_wide_spread_fails_the_price_band(session, connect, emulator):
    broker = connect()
    plan = await build_plan(session, broker)
    symbol = plan.orders[0].symbol
    quote = emulator.scenario.quotes[symbol]
    quote.bid, quote.ask = quote.last * 0.95, quote.last * 1.05  # limit = ask, 5 % off mid
    with pytest.raises(BrokerError, match=rf"{symbol}.*outside the 2\.0% band"):
        await execute_plan(broker, plan)
    assert not [p for p in emulator.placed_orders if not p.what_if]


async def test_duplicate_execution_reports_are_booked_once(session, connect, emulator):
    broker = connect()
    plan = await build_plan(session, broker)
    emulator.scenario.default_behaviour = OrderBehaviour(duplicate_execution=True)
    fills = await execute_plan(broker, plan, run_id="t7")
    assert all(f.status == "filled" for f in fills)
    assert [f.quantity for f in fills] == [o.quantity for o in plan.orders]
    booked = [r["exec_id"] for r in TradeLog().read() if r["event"] == "fill"]
    assert len(booked) == len(set(booked)) == len(plan.orders)


async def test_positions_missing_while_nav_says_otherwise_aborts(connect, emulator):
    emulator.scenario.accounts[0].overrides[("NetLiquidation", "USD")] = "90000"
    emulator.scenario.positions.clear()
    with pytest.raises(BrokerError, match="missing data is not a flat position"):
        await connect().snapshot()


@pytest.mark.parametrize(("kind", "expected"), [("market", "MKT"), ("adaptive", "LMT")])
async def test_order_types(session, connect, emulator, kind, expected):
    broker = connect()
    broker.execution = broker.execution.__class__(order_type=kind)
    plan = await build_plan(session, broker)
    fills = await execute_plan(broker, plan)
    assert all(f.status == "filled" for f in fills)
    assert {p.order_type for p in emulator.placed_orders if not p.what_if} == {expected}
