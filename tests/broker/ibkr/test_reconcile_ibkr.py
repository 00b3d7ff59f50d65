"""orders_by_ref through the real ib_async client against the TWS emulator: open, completed
and execution-only orders by orderRef, each execution once with its commission."""

from __future__ import annotations

import math

from rp_tui.broker.base import OrderRequest
from rp_tui.services.order_flow import execute_orders
from rp_tui.services.reconcile import reconcile, run_id_of
from rp_tui.state.trade_log import TradeLog
from rp_tui.tws_emulator import OrderBehaviour
from tests.tws_emulator.conftest import until


async def send(broker, run_id: str, *orders: tuple[str, str, float]):
    snap = await broker.snapshot()
    requests = [OrderRequest(s, side, q, snap.prices[s], "USD", 1.0) for s, side, q in orders]
    return await execute_orders(broker, requests, run_id=run_id)


async def place(broker, ref: str, symbol: str, side: str, quantity: float):
    """One order through the broker's primitives only (no waiting for its outcome)."""
    await broker.connect()
    await broker.prepare_run([symbol])
    quote = (await broker.quotes([symbol]))[symbol]
    order = OrderRequest(symbol, side, quantity, quote.price, "USD", 1.0)
    return await broker.place(broker.prepare(order, quote, ref), run_id_of(ref))


async def test_filled_partial_and_working_orders_are_found_by_prefix(connect, emulator):
    broker = connect()
    emulator.scenario.behaviour_by_symbol["QUAL"] = OrderBehaviour.partial(2)
    emulator.scenario.behaviour_by_symbol["SIZE"] = OrderBehaviour.stay_open()
    await place(broker, "rp-tui:monthly-2026-11.1:0", "MTUM", "SELL", 3)
    await place(broker, "rp-tui:monthly-2026-11.1:1", "QUAL", "SELL", 5)
    await place(broker, "rp-tui:monthly-2026-11.2:0", "SIZE", "BUY", 4)
    await place(broker, "rp-tui:monthly-2026-10.1:0", "VLUE", "BUY", 1)
    emulator.scenario.behaviour_by_symbol["USMV"] = OrderBehaviour.stay_open()
    ticket = await place(broker, "rp-tui:monthly-2026-11.2:1", "USMV", "BUY", 6)
    await until(lambda: len(emulator.executions) == 3)  # MTUM, QUAL's part, VLUE
    await until(lambda: len(emulator.book.open_orders()) == 3)
    await broker.cancel(ticket)  # done with nothing filled: only a completed order says so
    await until(lambda: len(emulator.book.open_orders()) == 2)
    broker.disconnect()
    other = connect(client_id=18)  # another connection, as after a restart
    found = {o.order_ref: o for o in await other.orders_by_ref("rp-tui:monthly-2026-11.")}
    assert sorted(found) == [
        "rp-tui:monthly-2026-11.1:0",
        "rp-tui:monthly-2026-11.1:1",
        "rp-tui:monthly-2026-11.2:0",
        "rp-tui:monthly-2026-11.2:1",
    ]
    mtum, qual, size = (found[f"rp-tui:monthly-2026-11.{k}"] for k in ("1:0", "1:1", "2:0"))
    assert (mtum.symbol, mtum.side, mtum.status, mtum.filled, mtum.quantity) == (
        "MTUM", "SELL", "filled", 3, 3
    )  # fmt: skip
    assert len(mtum.executions) == 1 and mtum.executions[0].commission == 1.0
    assert mtum.executions[0].exec_id == emulator.executions[0].exec_id
    assert (qual.status, qual.filled, qual.quantity) == ("working", 2, 5)
    assert (size.status, size.filled, size.executions) == ("working", 0, ())
    assert math.isnan(size.avg_price) and qual.avg_price > 0
    usmv = found["rp-tui:monthly-2026-11.2:1"]
    assert (usmv.symbol, usmv.status, usmv.filled, usmv.quantity) == ("USMV", "cancelled", 0, 6)
    assert len([p for p in emulator.placed_orders if not p.what_if]) == 5  # none by the lookup


async def test_reconcile_books_a_fill_the_log_missed_exactly_once(connect, emulator):
    broker = connect()
    await send(broker, "monthly-2026-11.1", ("MTUM", "SELL", 3))
    log = TradeLog()
    kept = [r for r in log.read() if r["event"] not in ("fill", "result")]  # as after a crash
    log.path.write_text("".join(__import__("json").dumps(r) + "\n" for r in kept))
    first = await reconcile(broker, "monthly-2026-11.", log)
    assert first.booked_fills == 1 and first.results == ("rp-tui:monthly-2026-11.1:0",)
    assert first.traded["MTUM"].startswith("SELL 3/3 filled")
    second = await reconcile(broker, "monthly-2026-11.", log)
    assert second.booked_fills == 0 and second.results == ()
    fills = log.read(events=("fill",))
    assert [f["exec_id"] for f in fills] == [emulator.executions[0].exec_id]


async def test_an_order_tws_lists_only_by_its_executions_is_found(connect, emulator):
    broker = connect()
    await place(broker, "rp-tui:weekly-2026-W48.1:0", "MTUM", "SELL", 3)
    await until(lambda: len(emulator.executions) == 1)
    emulator.book.orders.clear()  # as a TWS that no longer lists yesterday's orders
    (found,) = await connect(client_id=18).orders_by_ref("rp-tui:weekly-2026-W48.")
    assert (found.symbol, found.side, found.quantity, found.filled, found.status) == (
        "MTUM", "SELL", 3, 3, "filled"
    )  # fmt: skip
