"""Headless IBKR commands in a real process against the emulator running in the test's loop."""

from __future__ import annotations

import asyncio
import json
import sys

from rp_tui.state.trade_log import TradeLog
from rp_tui.tws_emulator import OrderBehaviour


async def rp_tui(*argv: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "rp_tui",
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(), err.decode()


def args(config, emulator, *extra):
    return ["--config", str(config), "--broker", "ibkr", "--port", str(emulator.port), *extra]


async def test_plan_over_ibkr_is_read_only(ibkr_config, emulator):
    code, out, err = await rp_tui("plan", *args(ibkr_config, emulator, "--format", "json"))
    assert code == 0, err
    doc = json.loads(out)
    assert {p["symbol"]: p["quantity"] for p in doc["positions"]}["USMV"] == 150
    assert doc["orders"] and not emulator.placed_orders
    assert 5 not in emulator.received_ids(), "read-only: no open-order sync was requested"


async def test_rebalance_is_a_dry_run_without_execute(ibkr_config, emulator):
    code, out, _ = await rp_tui("rebalance", *args(ibkr_config, emulator))
    assert code == 0 and "dry run: nothing was sent" in out
    assert not emulator.placed_orders


async def test_rebalance_execute_needs_confirmation_without_a_terminal(ibkr_config, emulator):
    code, _, err = await rp_tui("rebalance", *args(ibkr_config, emulator, "--execute"))
    assert code == 2 and "--yes" in err
    assert not emulator.placed_orders


async def test_rebalance_execute_yes_fills_and_logs(ibkr_config, emulator):
    code, out, err = await rp_tui(
        "rebalance", *args(ibkr_config, emulator, "--execute", "--yes", "--format", "json")
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["dry_run"] is False and doc["fills"]
    assert all(
        f["status"] == "filled" and f["order_ref"].startswith("rp-tui:") for f in doc["fills"]
    )
    assert len(emulator.placed_orders) == len(doc["orders"])
    events = {r["event"] for r in TradeLog().read()}
    assert {"intent", "submitted", "fill", "result"} <= events


async def test_rejected_order_exits_1_with_the_reason(ibkr_config, emulator):
    emulator.scenario.default_behaviour = OrderBehaviour.reject("Order rejected - no permission")
    code, out, _ = await rp_tui("rebalance", *args(ibkr_config, emulator, "--execute", "--yes"))
    assert code == 1 and "rejected" in out and "no permission" in out


async def test_unreachable_tws_exits_2_naming_host_and_port(ibkr_config):
    code, _, err = await rp_tui(
        "plan", "--config", str(ibkr_config), "--broker", "ibkr", "--port", "1"
    )
    assert code == 2 and "127.0.0.1:1" in err and "demo" in err
