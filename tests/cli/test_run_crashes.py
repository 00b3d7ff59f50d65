"""A scheduled run killed (SIGKILL) at a named crash point, then run again: the rerun sends no
order twice and loses no fill — through the TWS emulator (the real ib_async client in a real
``rp-tui run`` process) and through the demo account.

Crash points: between the trade-log intent and the send (``flow:after_intent``), between
the send and its acknowledgement (``ibkr:after_send``; the demo's ``demo:after_fill_logged``,
where its book holds the fill the run never heard of) and after a partial fill
(``ibkr:after_partial_fill``). The helpers here are also the books of
``benchmarks/scheduled_crashes.py``.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from rp_tui.broker.crash_points import CRASH_ENV
from rp_tui.inputs.portfolio_file import load_portfolio
from rp_tui.services.reconcile import run_id_of
from rp_tui.services.schedule import Timetable, listing_calendar
from rp_tui.state.trade_log import TradeLog
from rp_tui.tws_emulator import OrderBehaviour, TwsEmulator, demo_scenario
from tests.conftest import PORTFOLIO, REPO
from tests.services.test_schedule import with_schedule

# ``rp-tui ARGV`` with the clock at a given UTC timestamp (ticking from there)
AT = (
    "import sys, time_machine; time_machine.travel(float(sys.argv[1]), tick=True).start(); "
    "from rp_tui.cli.main import main; sys.exit(main(sys.argv[2:]))"
)
DEMO_CRASHES = ("flow:after_intent", "demo:after_fill_logged")
IBKR_CRASHES = ("flow:after_intent", "ibkr:after_send", "ibkr:after_partial_fill")


def write_config(folder: Path, ibkr: bool) -> Path:
    """The factor portfolio executing on schedule (IBKR: trading allowed, paper account)."""
    text = PORTFOLIO.read_text()
    if ibkr:
        text = text.replace('kind = "demo"', 'kind = "ibkr"')
        text = text.replace("read_only = true", "read_only = false")
    path = folder / "portfolio.toml"
    path.write_text(with_schedule(text, "execute = true"))
    return path


def ibkr_scenario(end: date | None = None):
    """The emulator's paper account, MTUM and QUAL overweight: the plan sells, then buys;
    daily bars up to ``end`` (default yesterday)."""
    scenario = demo_scenario(end)
    for position in scenario.positions:
        if position.symbol in ("MTUM", "QUAL"):
            position.quantity = 150
    return scenario


async def rp_run(moment: datetime, config: Path, *extra: str, crash: str = "") -> tuple:
    """``rp-tui run`` in its own process at ``moment``; ``crash`` names a crash point."""
    env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
    if crash:
        env[CRASH_ENV] = crash
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-c", AT, str(moment.timestamp()), "run", "--config", str(config)),
        *extra,
        cwd=REPO,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode, out.decode(), err.decode()


@dataclass
class Books:
    """What the broker and the trade log say after the runs; every count must be 0 but
    ``orders`` and ``fills``."""

    orders: int = 0  # orders the broker received
    fills: int = 0  # executions the broker made
    duplicates: int = 0  # orders beyond the first for one symbol in one period
    lost_fills: int = 0  # executions the trade log does not hold
    booked_twice: int = 0  # executions the trade log holds more than once
    outside_hours: int = 0  # orders sent while their exchange was out of its window
    problems: list[str] = field(default_factory=list)

    def add(self, other: Books) -> None:
        """Sum ``other`` into these books."""
        for name in ("orders", "fills", "duplicates", "lost_fills", "booked_twice"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.outside_hours += other.outside_hours
        self.problems += other.problems


def period_of(order_ref: str) -> str:
    """``rp-tui:monthly-2026-11.2:0`` → ``monthly-2026-11``."""
    return run_id_of(order_ref).rpartition(".")[0]


def _duplicates(books: Books, sent: list[tuple[str, str]]) -> None:
    counts = Counter((period_of(ref), symbol) for ref, symbol in sent)
    books.orders += len(sent)
    for (period, symbol), n in counts.items():
        if n > 1:
            books.duplicates += n - 1
            books.problems.append(f"{symbol} sent {n} times in {period}")


def _outside(books: Books, config: Path, refs: set[str]) -> None:
    """Intents of orders that reached the broker, against their listing's window."""
    portfolio = load_portfolio(config)
    listing = {a.symbol: listing_calendar(a) for a in portfolio.assets}
    for r in TradeLog(config_log(config)).read(events=("intent",)):
        if r["order_ref"] not in refs:
            continue
        when = datetime.fromisoformat(r["ts"])
        if Timetable(portfolio, when).window_at(listing[r["symbol"]], when) is None:
            books.outside_hours += 1
            books.problems.append(f"{r['order_ref']} sent at {when} outside its window")


def config_log(config: Path) -> Path:
    """The trade log of the data directory the runs used."""
    return Path(os.environ["RP_TUI_DATA_DIR"]) / "trade-log.ndjson"


def ibkr_books(emulator: TwsEmulator, config: Path) -> Books:
    """The emulator's orders and executions against the trade log."""
    books = Books()
    placed = [p for p in emulator.placed_orders if not p.what_if and p.order_ref]
    _duplicates(books, [(p.order_ref, p.symbol) for p in placed])
    booked = Counter(r["exec_id"] for r in TradeLog(config_log(config)).read(events=("fill",)))
    for e in emulator.executions:
        books.fills += 1
        if booked[e.exec_id] == 0:
            books.lost_fills += 1
            books.problems.append(f"execution {e.exec_id} ({e.order.placed.order_ref}) lost")
        books.booked_twice += max(booked[e.exec_id] - 1, 0)
    _outside(books, config, {p.order_ref for p in placed})
    return books


def demo_books(config: Path) -> Books:
    """The demo account's own book (its write-ahead fills) against the trade log."""
    books = Books()
    log = TradeLog(config_log(config))
    fills = [r for r in log.read(events=("demo_fill",)) if r.get("order_ref")]
    _duplicates(books, [(r["order_ref"], r["symbol"]) for r in fills])
    outcomes = Counter(
        r["order_ref"]
        for r in log.read(events=("result",))
        if r.get("status") == "filled" and r.get("order_ref")
    )
    for r in fills:
        books.fills += 1
        if outcomes[r["order_ref"]] == 0:
            books.lost_fills += 1
            books.problems.append(f"demo fill {r['order_ref']} has no result in the log")
        books.booked_twice += max(outcomes[r["order_ref"]] - 1, 0)
    _outside(books, config, {r["order_ref"] for r in fills})
    return books


DUE = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 10:00 EST on November's last session
LATER = datetime(2026, 11, 30, 15, 20, tzinfo=UTC)


@pytest.mark.parametrize("crash", DEMO_CRASHES)
async def test_demo_rerun_after_a_crash_sends_nothing_twice_and_loses_no_fill(tmp_path, crash):
    config = write_config(tmp_path, ibkr=False)
    code, _, _ = await rp_run(DUE, config, crash=crash)
    assert code == -9, "the run was killed at the crash point"
    code, out, err = await rp_run(LATER, config)
    assert code == 0, err
    assert "resume run monthly-2026-11.2" in out and "executed:" in out
    books = demo_books(config)
    assert (books.duplicates, books.lost_fills, books.booked_twice, books.outside_hours) == (
        0, 0, 0, 0
    ), books.problems  # fmt: skip
    assert books.fills == 3  # the plan's three orders, each once
    code, out, _ = await rp_run(LATER, config)
    assert code == 0 and "already ran" in out


@pytest.mark.parametrize("crash", IBKR_CRASHES)
async def test_ibkr_rerun_after_a_crash_sends_nothing_twice_and_loses_no_fill(tmp_path, crash):
    config = write_config(tmp_path, ibkr=True)
    async with TwsEmulator(ibkr_scenario()) as emulator:
        if crash == "ibkr:after_partial_fill":
            emulator.scenario.behaviour_by_symbol["MTUM"] = OrderBehaviour.partial(3)
        port = ("--port", str(emulator.port))
        code, _, err = await rp_run(DUE, config, *port, crash=crash)
        assert code == -9, err
        sent_before = len([p for p in emulator.placed_orders if not p.what_if])
        code, out, err = await rp_run(LATER, config, *port)
        assert code == 0, err + out
        assert "resume run monthly-2026-11.2" in out
        books = ibkr_books(emulator, config)
    assert (books.duplicates, books.lost_fills, books.booked_twice, books.outside_hours) == (
        0, 0, 0, 0
    ), books.problems  # fmt: skip
    assert books.orders == 5 and sent_before >= (0 if crash == "flow:after_intent" else 1)
    if crash == "ibkr:after_partial_fill":  # MTUM's remainder still works: not sent again
        assert "1 still working" in out


async def test_an_order_of_the_period_the_broker_rejected_is_not_sent_again(tmp_path):
    """Positions cannot show a rejected order: only its orderRef at the broker can."""
    config = write_config(tmp_path, ibkr=True)
    async with TwsEmulator(ibkr_scenario()) as emulator:
        emulator.scenario.behaviour_by_symbol["MTUM"] = OrderBehaviour.reject("no shares")
        port = ("--port", str(emulator.port))
        code, _, err = await rp_run(DUE, config, *port, crash="ibkr:after_send")
        assert code == -9, err
        code, out, err = await rp_run(LATER, config, *port)
        books = ibkr_books(emulator, config)
        mtum = [p for p in emulator.placed_orders if p.symbol == "MTUM" and not p.what_if]
    assert code == 0, err + out
    assert len(mtum) == 1 and books.duplicates == 0, books.problems
    assert "traded SELL 41 MTUM: already this period: SELL 0/41 cancelled" in out
