"""orders_by_ref on the demo account: its own write-ahead fills by order reference, of the
current epoch only; reconciliation marks an intent that never reached it."""

from __future__ import annotations

import asyncio

from rp_tui.broker.base import OrderRequest
from rp_tui.services.order_flow import execute_orders
from rp_tui.services.reconcile import reconcile
from rp_tui.services.session import make_broker, open_session
from rp_tui.state.trade_log import TradeLog
from tests.conftest import PORTFOLIO


def test_demo_fills_are_found_by_reference_prefix_and_epoch():
    broker = make_broker(open_session(PORTFOLIO), "demo")
    snap = asyncio.run(broker.snapshot())
    price = snap.prices["MTUM"]
    orders = [OrderRequest("MTUM", "SELL", 2, price, "USD", 1.0)]
    asyncio.run(execute_orders(broker, orders, run_id="monthly-2026-11.1"))
    asyncio.run(execute_orders(broker, orders, run_id="monthly-2026-12.1"))
    (found,) = asyncio.run(broker.orders_by_ref("rp-tui:monthly-2026-11."))
    assert (found.order_ref, found.symbol, found.side, found.filled, found.status) == (
        "rp-tui:monthly-2026-11.1:0", "MTUM", "SELL", 2.0, "filled"
    )  # fmt: skip
    assert found.avg_price == price and found.executions[0].exec_id.endswith(":1")
    assert len(asyncio.run(broker.orders_by_ref("rp-tui:"))) == 2
    broker.reset()  # a new epoch: the old account's fills are not its orders
    assert asyncio.run(broker.orders_by_ref("rp-tui:")) == []


def test_an_intent_that_never_left_is_marked_not_sent_once():
    broker = make_broker(open_session(PORTFOLIO), "demo")
    log = TradeLog()
    log.append("intent", run_id="monthly-2026-11.1", order_ref="rp-tui:monthly-2026-11.1:0",
               symbol="QUAL", side="SELL", quantity=3.0)  # fmt: skip
    first = asyncio.run(reconcile(broker, "monthly-2026-11.", log))
    assert first.not_sent == ("rp-tui:monthly-2026-11.1:0",) and first.traded == {}
    (record,) = log.read(events=("not_sent",))
    assert "never reached the demo account" in record["reason"]
    again = asyncio.run(reconcile(broker, "monthly-2026-11.", log))
    assert again.not_sent == () and len(log.read(events=("not_sent",))) == 1
