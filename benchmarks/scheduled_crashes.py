"""Issue #13: scheduled runs killed at every crash point, then run again, across the calendar's
awkward weeks; nothing may be sent twice, no fill lost, no order sent out of market hours.

Each scenario is a fresh account (the demo account, or the paper account of the project's
TWS emulator on loopback, reached by the real ib_async client in a real ``rp-tui run``
process) and a sequence of ``rp-tui run`` invocations at travelled moments (time-machine),
as cron would call them: before the window, at the due moment (killed with SIGKILL at a
random crash point, or not), ten minutes later (the resume), on the weekend, and in the next
period. One demo scenario in four lists QUAL and USMV on the LSE and falls on a UK bank
holiday (their orders wait for the next London session). The weeks: Thanksgiving with its
early close, both sides of New York's and of London's daylight-saving change, Good Friday,
the last session of a year whose New Year's Day is a Friday.

Counted from the broker's own record (the emulator's orders and executions; the demo
account's write-ahead fills) against the trade log:

- duplicates: orders beyond the first for one symbol in one period (must be 0);
- lost fills: executions the trade log does not hold (0); booked twice (0);
- orders outside market hours: orders that left while their listing's exchange was outside
  its window (open + minutes_after_open .. close − margin) (0).

Run: ``.venv/bin/python benchmarks/scheduled_crashes.py [SCENARIOS] [SEED]`` (default 12, 1).
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rp_tui.state.trade_log import TradeLog  # noqa: E402
from tests.cli.test_run_crashes import (  # noqa: E402  (after the path is set)
    DEMO_CRASHES,
    IBKR_CRASHES,
    Books,
    config_log,
    demo_books,
    ibkr_books,
    ibkr_scenario,
    rp_run,
    write_config,
)

# Weekly periods, last session of the week, 30 minutes after the New York open (UTC):
WEEKS = (
    datetime(2026, 3, 6, 15, 0, tzinfo=UTC),  # before New York's clocks change (EST)
    datetime(2026, 3, 13, 14, 0, tzinfo=UTC),  # after it (EDT), London still on GMT
    datetime(2026, 4, 2, 14, 0, tzinfo=UTC),  # Thursday: Good Friday closes the NYSE
    datetime(2026, 11, 27, 15, 0, tzinfo=UTC),  # Black Friday, 13:00 early close
    datetime(2026, 12, 31, 15, 0, tzinfo=UTC),  # Thursday: New Year's Day is a Friday
)
UK_HOLIDAY = datetime(2026, 8, 31, 14, 0, tzinfo=UTC)  # monthly; LSE closed, NYSE open


def weekly(config: Path) -> None:
    """Switch the scenario's portfolio to weekly periods."""
    config.write_text(config.read_text().replace('frequency = "monthly"', 'frequency = "weekly"'))


def london(config: Path, symbols=("QUAL", "USMV")) -> None:
    """List ``symbols`` on the LSE (their USD lines)."""
    text = config.read_text()
    for symbol in symbols:
        head, tail = text.split(f'symbol = "{symbol}"', 1)
        tail = tail.replace('primary_exchange = "BATS"', 'primary_exchange = "LSEETF"', 1)
        text = f'{head}symbol = "{symbol}"{tail}'
    config.write_text(text)


def moments(rng: random.Random, due: datetime, mixed: bool) -> list[datetime]:
    """The invocations of one scenario: before the window, at (or soon after) the due
    moment, ten minutes later, the weekend, the next period; a mixed one also the next
    London morning (its held orders) and that afternoon."""
    at_due = due + timedelta(minutes=rng.randint(0, 40))
    if mixed:
        return [
            due - timedelta(hours=2),
            at_due,
            at_due + timedelta(minutes=10),
            datetime(2026, 9, 1, 7, 30 + rng.randint(0, 20), tzinfo=UTC),
            datetime(2026, 9, 1, 14, 5, tzinfo=UTC),
        ]
    saturday = due + timedelta(days=(5 - due.weekday()) % 7 or 7, hours=-3)
    return [
        due - timedelta(minutes=90),
        at_due,
        at_due + timedelta(minutes=10),
        saturday,
        due + timedelta(days=7, minutes=5),
    ]


async def scenario(i: int, rng: random.Random, folder: Path, figures: dict) -> Books:
    """One account through one sequence of runs; returns its books."""
    ibkr = i % 2 == 1
    mixed = not ibkr and i % 4 == 0
    data = folder / f"s{i:03d}"
    data.mkdir()
    os.environ["RP_TUI_DATA_DIR"] = str(data / "data")
    config = write_config(data, ibkr=ibkr)
    if mixed:
        london(config)
    else:
        weekly(config)
    due = UK_HOLIDAY if mixed else rng.choice(WEEKS)
    crashes = IBKR_CRASHES if ibkr else DEMO_CRASHES
    crash = rng.choice((*crashes, ""))
    times = moments(rng, due, mixed)

    async def invoke(extra: tuple[str, ...]) -> None:
        for n, moment in enumerate(times):
            code, _, err = await rp_run(moment, config, *extra, crash=crash if n == 1 else "")
            figures["runs"] += 1
            figures["crashed"] += code == -9
            if code not in (0, -9):
                figures["problems"].append(f"scenario {i} run {n}: exit {code}: {err.strip()}")

    if not ibkr:
        await invoke(())
        books = demo_books(config)
    else:
        from rp_tui.tws_emulator import OrderBehaviour, TwsEmulator

        async with TwsEmulator(ibkr_scenario(due.date() - timedelta(days=1))) as emulator:
            if crash == "ibkr:after_partial_fill":
                emulator.scenario.behaviour_by_symbol["MTUM"] = OrderBehaviour.partial(3)
            await invoke(("--port", str(emulator.port)))
            books = ibkr_books(emulator, config)
    figures["due"] += len(TradeLog(config_log(config)).read(events=("run_started",)))
    return books


async def main(count: int, seed: int) -> int:
    rng = random.Random(seed)
    folder = Path(tempfile.mkdtemp(prefix="scheduled-crashes-"))
    figures = {"runs": 0, "crashed": 0, "due": 0, "problems": []}
    total = Books()
    start = time.perf_counter()
    for i in range(count):
        total.add(await scenario(i, rng, folder, figures))
    elapsed = time.perf_counter() - start
    print(f"scenarios: {count} (demo {count - count // 2}, ibkr on the emulator {count // 2})")
    print(f"runs tried: {figures['runs']} (due {figures['due']}, killed {figures['crashed']})")
    print(f"orders at the broker: {total.orders}, executions: {total.fills}")
    print(f"duplicates: {total.duplicates}")
    print(f"lost fills: {total.lost_fills}")
    print(f"fills booked twice: {total.booked_twice}")
    print(f"orders outside market hours: {total.outside_hours}")
    print(f"time: {elapsed:.0f} s ({elapsed / max(figures['runs'], 1):.1f} s per run)")
    for problem in (total.problems + figures["problems"])[:10]:
        print("  problem:", problem)
    bad = total.duplicates + total.lost_fills + total.booked_twice + total.outside_hours
    return 1 if bad or figures["problems"] else 0


if __name__ == "__main__":
    scenarios = int(sys.argv[1]) if len(sys.argv) > 1 else 12
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    sys.exit(asyncio.run(main(scenarios, seed)))
