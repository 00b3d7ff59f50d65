"""The shared execution path on IBKR: the kill switch read before each order, and what
happens to an order still working when the fill timeout ends ([execution] unfilled)."""

from __future__ import annotations

import pytest

from rp_tui.domain.safety import TradingState
from rp_tui.inputs.portfolio import Execution
from rp_tui.services.execution import execute_plan
from rp_tui.services.plan import build_plan
from rp_tui.state.trade_log import TradeLog
from rp_tui.state.trading_state import write_trading_state
from rp_tui.tws_emulator import OrderBehaviour


@pytest.fixture(autouse=True)
def overweight(emulator):
    """Hold more MTUM and QUAL than their targets: the plan sells both, then buys."""
    for position in emulator.scenario.positions:
        if position.symbol in ("MTUM", "QUAL"):
            position.quantity = 150


def sent_refs(emulator) -> list[str]:
    """orderRefs of the real orders the emulator received (what-if probes excluded)."""
    return [p.order_ref for p in emulator.placed_orders if not p.what_if]


def switch_on_first_sell_status(broker, state: TradingState) -> list[set[str]]:
    """Set the kill switch the moment the first sell's status arrives, as a user pressing
    ``k`` while the sells are working would; returns [refs the client had placed by then]."""
    placed_before: list[set[str]] = []
    show = broker.on_status

    def hook(text: str) -> None:
        if text.startswith("SELL") and not placed_before:
            placed_before.append({t.order.orderRef for t in broker.ib.trades()})
            write_trading_state(state)
        show(text)

    broker.on_status = hook
    return placed_before


@pytest.mark.parametrize("state", [TradingState.HALTED, TradingState.REDUCING])
async def test_kill_switch_set_while_the_sells_work_sends_no_buy(session, connect, emulator, state):
    broker = connect()
    plan = await build_plan(session, broker)
    assert [o.side for o in plan.orders][:3] == ["SELL", "SELL", "BUY"]
    placed_before = switch_on_first_sell_status(broker, state)
    fills = await execute_plan(broker, plan, run_id="ks")
    assert placed_before, "the switch was set while the run was going"
    assert set(sent_refs(emulator)) - placed_before[0] == set(), "no order sent after it"
    assert all(f.status == "filled" for f in fills if f.side == "SELL")
    buys = [f for f in fills if f.side == "BUY"]
    assert buys and all(f.status == "cancelled" and f.quantity == 0 for f in buys)
    assert all(state.value in f.message and "not sent" in f.message for f in buys)
    skipped = [r for r in TradeLog().read() if r["event"] == "not_sent"]
    assert sorted(r["order_ref"] for r in skipped) == sorted(f.order_ref for f in buys)


def first_sell(plan):
    return next(o for o in plan.orders if o.side == "SELL")


async def test_partial_sell_remainder_is_cancelled_by_default(session, connect, emulator):
    broker = connect()
    broker.execution = Execution(fill_timeout=0.3)  # unfilled = "cancel"
    plan = await build_plan(session, broker)
    sell = first_sell(plan)
    assert sell.quantity > 1
    emulator.scenario.behaviour_by_symbol[sell.symbol] = OrderBehaviour.partial(1)
    fills = await execute_plan(broker, plan, run_id="pc")
    fill = next(f for f in fills if f.symbol == sell.symbol)
    assert (fill.status, fill.quantity, fill.remaining) == ("partial", 1, sell.quantity - 1)
    assert fill.message == f"partial: 1 of {sell.quantity:g} filled, remainder cancelled"
    assert not emulator.book.open_orders(), "nothing left working at IBKR"
    unfilled = [r for r in TradeLog().read() if r["event"] == "unfilled"]
    assert [(r["order_ref"], r["action"]) for r in unfilled] == [(fill.order_ref, "cancelled")]
    buys = [f for f in fills if f.side == "BUY"]
    assert buys and all(f.status == "filled" for f in buys), "the sell's outcome is known"


async def test_partial_sell_remainder_can_be_kept_working(session, connect, emulator):
    broker = connect()
    broker.execution = Execution(fill_timeout=0.3, unfilled="keep")
    plan = await build_plan(session, broker)
    sell = first_sell(plan)
    emulator.scenario.behaviour_by_symbol[sell.symbol] = OrderBehaviour.partial(1)
    fills = await execute_plan(broker, plan, run_id="pk")
    fill = next(f for f in fills if f.symbol == sell.symbol)
    assert (fill.status, fill.quantity) == ("partial", 1)
    assert fill.message == f"partial: 1 of {sell.quantity:g} filled, remainder kept working at IBKR"
    working = emulator.book.open_orders()
    assert [r.placed.order_ref for r in working] == [fill.order_ref]
    unfilled = [r for r in TradeLog().read() if r["event"] == "unfilled"]
    assert [r["action"] for r in unfilled] == ["kept"]
    buys = [f for f in fills if f.side == "BUY"]
    assert buys and all(f.status == "cancelled" for f in buys)
    assert all("outcome is not known" in f.message for f in buys)
    assert set(sent_refs(emulator)) == {f.order_ref for f in fills if f.side == "SELL"}


async def test_an_unfilled_order_is_cancelled_when_the_timeout_ends(session, connect, emulator):
    broker = connect()
    broker.execution = Execution(fill_timeout=0.3)
    plan = await build_plan(session, broker)
    sell = first_sell(plan)
    emulator.scenario.behaviour_by_symbol[sell.symbol] = OrderBehaviour.stay_open()
    fills = await execute_plan(broker, plan, run_id="oc")
    fill = next(f for f in fills if f.symbol == sell.symbol)
    assert (fill.status, fill.quantity) == ("cancelled", 0)
    assert fill.message == "not filled within 0.3 s: cancelled"
    assert not emulator.book.open_orders()
