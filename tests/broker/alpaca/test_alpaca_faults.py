"""Faults between rp-tui and Alpaca during a run: HTTP 429 with Retry-After, a 5xx, a
dropped connection, before or after Alpaca created the order. Whatever happens: no leg
becomes two orders, and every share Alpaca filled is reported (Fill and trade log)."""

from __future__ import annotations

import pytest

from rp_tui.services.execution import execute_plan
from rp_tui.services.plan import build_plan
from rp_tui.state.trade_log import TradeLog
from tests.broker.alpaca.conftest import broker_for

FAULTS = [
    ("POST /v2/orders", "429"),
    ("POST /v2/orders", "500-before"),
    ("POST /v2/orders", "500-after"),
    ("POST /v2/orders", "drop-before"),
    ("POST /v2/orders", "drop-after"),
    ("GET /v2/orders", "500-before"),
    ("GET /v2/orders", "drop-before"),
    ("GET /v2/account", "429"),
    ("GET /v2/stocks/snapshots", "drop-before"),
]
TOTALS = {"runs": 0, "orders": 0, "duplicates": 0, "unreported": 0.0}


def duplicates(fake) -> int:
    """Orders beyond the first for a leg (a leg is its client_order_id's run and index)."""
    refs = [o["client_order_id"] for o in fake.orders]
    return len(refs) - len(set(refs))


def unreported(fake, fills) -> float:
    """Shares Alpaca filled that neither the Fills nor the trade log's fills report."""
    reported = {f.order_ref: f.quantity for f in fills}
    logged: dict[str, float] = {}
    for r in TradeLog().read():
        if r["event"] == "fill":
            logged[r["order_ref"]] = logged.get(r["order_ref"], 0.0) + r["shares"]
    missing = 0.0
    for o in fake.orders:
        ref = o["client_order_id"]
        missing += abs(o["filled"] - reported.get(ref, 0.0))
        missing += abs(o["filled"] - logged.get(ref, 0.0))
    return missing


@pytest.mark.parametrize(("where", "kind"), FAULTS, ids=[f"{w} {k}" for w, k in FAULTS])
@pytest.mark.parametrize("times", [1, 2])
async def test_a_fault_never_duplicates_an_order_nor_hides_a_fill(
    config, fake, waits, where, kind, times
):
    fake.fill_plan["GLD"] = "steps"  # filled over three polls: the run polls its orders
    session, broker = broker_for(config, waits)
    plan = await build_plan(session, broker)
    fake.fault(where, kind, times)
    fills = await execute_plan(broker, plan, run_id="f1")
    TOTALS["runs"] += 1
    TOTALS["orders"] += len(fake.orders)
    TOTALS["duplicates"] += duplicates(fake)
    TOTALS["unreported"] += unreported(fake, fills)
    assert duplicates(fake) == 0
    assert unreported(fake, fills) == 0.0
    assert len(fake.orders) == len(plan.orders), "every leg sent once"
    assert all(f.status == "filled" for f in fills), fills
    assert not fake.faults[where], "the fault happened"
    if kind == "429":
        assert 2.0 in waits, "Retry-After: 2 was honoured"


@pytest.mark.parametrize("kind", ["500-after", "drop-after"])
async def test_an_order_created_but_unanswered_is_adopted_and_logged(config, fake, kind):
    session, broker = broker_for(config, [])
    plan = await build_plan(session, broker)
    fake.fault("POST /v2/orders", kind)
    await execute_plan(broker, plan, run_id="f2")
    records = TradeLog().read()
    first = plan.orders[0]
    lost = [r for r in records if r["event"] == "submit_unanswered"]
    assert [r["order_ref"] for r in lost] == ["rp-tui:f2:0"]
    assert [r["order_ref"] for r in records if r["event"] == "adopted"] == ["rp-tui:f2:0"]
    assert fake.posts == len(plan.orders), "the lost answer's order was not sent again"
    assert fake.orders[0]["symbol"] == first.symbol


async def test_alpaca_unreachable_after_sending_leaves_the_order_unknown_and_sends_no_more(
    config, fake
):
    session, broker = broker_for(config, [])
    broker.execution = type(broker.execution)(fill_timeout=0.3)
    plan = await build_plan(session, broker)
    fake.fault("POST /v2/orders", "drop-after")  # created, the answer lost …
    fake.fault("GET /v2/orders", "drop-before", 100_000)  # … and no lookup gets through
    fills = await execute_plan(broker, plan, run_id="f3")
    assert fills[0].status == "unknown" and "reconcile" in fills[0].message
    assert all(f.status == "cancelled" and "not sent" in f.message for f in fills[1:])
    # sent again with the same client_order_id: Alpaca refused the copy (HTTP 422)
    assert len(fake.orders) == 1 and duplicates(fake) == 0 and fake.posts >= 2
    fake.faults["GET /v2/orders"].clear()
    found = await broker.orders_by_ref("rp-tui:f3:")
    assert [(o.order_ref, o.filled) for o in found] == [("rp-tui:f3:0", fake.orders[0]["filled"])]


def test_zz_fault_totals(capsys):
    """The figures of the fault runs above (printed with -s): 0 duplicates, 0 unreported."""
    if TOTALS["runs"]:
        with capsys.disabled():
            print(f"\nAlpaca fault runs: {TOTALS}")
    assert TOTALS["duplicates"] == 0 and TOTALS["unreported"] == 0.0
