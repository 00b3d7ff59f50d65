"""Issue #10 item 2: the kill switch set while a run is going stops what has not left yet.

Each run builds the plan (sells, then buys) and executes it; the trading state is set the
moment something has already left:

- IBKR (the real ib_async client against the project's TWS emulator on loopback): when the
  first sell's status arrives, i.e. while the sells are working;
- demo account: right after its first order filled.

HALTED and REDUCING alternate. A forbidden order "sent after the switch" is one the broker
received that the client had not yet placed when the switch was set (IBKR: orderRefs the
emulator received less those in ``ib.trades()`` at that moment; demo: fills logged after
it): any order under HALTED, a buy under REDUCING (which still lets sells go).

Run: ``.venv/bin/python benchmarks/kill_switch_midrun.py [RUNS]`` (default 100 per broker).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def ibkr_config(folder: Path) -> Path:
    text = (REPO / "portfolio.toml").read_text().replace('kind = "demo"', 'kind = "ibkr"')
    path = folder / "portfolio.toml"
    path.write_text(text.replace("read_only = true", "read_only = false"))
    return path


def forbidden(state, side: str) -> bool:
    """Whether the trading state forbids an order on ``side`` (HALTED all, REDUCING buys)."""
    return state.value == "HALTED" or side == "BUY"


async def ibkr_run(session, state) -> tuple[int, int, int]:
    """(forbidden orders sent after the switch, orders sent, buys planned) for one run."""
    from rp_tui.services.execution import execute_plan
    from rp_tui.services.plan import build_plan
    from rp_tui.services.session import make_broker
    from rp_tui.state.trading_state import write_trading_state
    from rp_tui.tws_emulator import TwsEmulator, demo_scenario

    scenario = demo_scenario()
    for position in scenario.positions:
        if position.symbol in ("MTUM", "QUAL"):
            position.quantity = 150  # overweight: the plan sells both, then buys
    async with TwsEmulator(scenario) as emu:
        broker = make_broker(session, "ibkr", port=emu.port)
        try:
            plan = await build_plan(session, broker)
            before: list[set[str]] = []

            def hook(text: str) -> None:
                if text.startswith("SELL") and not before:
                    before.append({t.order.orderRef for t in broker.ib.trades()})
                    write_trading_state(state)

            broker.on_status = hook
            await execute_plan(broker, plan)
        finally:
            broker.disconnect()
        refs = {p.order_ref for p in emu.placed_orders if not p.what_if}
        after = [
            p
            for p in emu.placed_orders
            if not p.what_if and p.order_ref not in before[0] and forbidden(state, p.action)
        ]
    if not before:
        raise AssertionError("the switch was never set: no sell status arrived")
    return len(after), len(refs), sum(o.side == "BUY" for o in plan.orders)


async def demo_run(session, state) -> tuple[int, int, int]:
    """The same on the demo account: the switch is set right after its first fill."""
    from rp_tui.services.execution import execute_plan
    from rp_tui.services.plan import build_plan
    from rp_tui.services.session import make_broker
    from rp_tui.state.trade_log import TradeLog
    from rp_tui.state.trading_state import write_trading_state

    broker = make_broker(session, "demo")
    broker.reset()
    plan = await build_plan(session, broker)
    place, marks = broker.place, []

    async def place_then_switch(prepared, run_id):
        ticket = await place(prepared, run_id)
        if not marks:
            marks.append(len(TradeLog().read()))
            write_trading_state(state)
        return ticket

    broker.place = place_then_switch
    start = len(TradeLog().read())
    await execute_plan(broker, plan)
    records = TradeLog().read()
    sent = sum(r["event"] == "demo_fill" for r in records[start:])
    after = sum(
        r["event"] == "demo_fill" and forbidden(state, r["side"]) for r in records[marks[0] :]
    )
    return after, sent, sum(o.side == "BUY" for o in plan.orders)


async def main(runs: int) -> None:
    from rp_tui.domain.safety import TradingState
    from rp_tui.services.session import open_session
    from rp_tui.state.trading_state import write_trading_state

    folder = Path(tempfile.mkdtemp(prefix="kill-switch-"))
    os.environ["RP_TUI_DATA_DIR"] = str(folder / "data")
    brokers = (
        ("ibkr (emulator)", ibkr_run, open_session(ibkr_config(folder))),
        ("demo", demo_run, open_session(REPO / "portfolio.toml")),
    )
    print(f"{'broker':<16}{'runs':>6}{'forbidden sent after':>24}{'orders sent':>13}{'s/run':>8}")
    for name, run, session in brokers:
        bad_runs = after_total = sent_total = 0
        start = time.perf_counter()
        for i in range(runs):
            write_trading_state(TradingState.ACTIVE)
            state = TradingState.HALTED if i % 2 == 0 else TradingState.REDUCING
            after, sent, _ = await run(session, state)
            after_total += after
            sent_total += sent
            bad_runs += after > 0
        per_run = (time.perf_counter() - start) / runs
        print(f"{name:<16}{runs:>6}{after_total:>24}{sent_total:>13}{per_run:>8.2f}")
        print(
            f"  forbidden orders sent after the switch: {after_total}, in {bad_runs} of {runs} runs"
        )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100))
