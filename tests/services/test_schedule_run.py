"""Scheduled runs on the demo account, travelling in time: once per period under the lock,
every guard of the shared execution path, orders held back while their own exchange is
closed, the over-trading guard, the summary record, the run log and notifications."""

from __future__ import annotations

import json
import queue
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import time_machine

from rp_tui.domain.safety import TradingState
from rp_tui.services.schedule import Timetable, listing_calendar
from rp_tui.services.schedule_status import schedule_status
from rp_tui.services.scheduled_run import run_scheduled
from rp_tui.services.session import make_broker, open_session
from rp_tui.state.lock import single_instance
from rp_tui.state.run_log import read_run_log
from rp_tui.state.trade_log import TradeLog
from rp_tui.state.trading_state import write_trading_state
from tests.conftest import PORTFOLIO
from tests.services.test_schedule import with_schedule


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def config(tmp_path: Path, schedule: str = "execute = true", london=(), **policy) -> Path:
    """The factor portfolio with ``[schedule]``; ``london`` symbols listed on the LSE (USD
    lines), ``policy`` replaced keys of ``[rebalancing]``."""
    text = PORTFOLIO.read_text()
    for symbol in london:
        block = f'symbol = "{symbol}"'
        head, tail = text.split(block, 1)
        text = (
            head
            + block
            + tail.replace('primary_exchange = "BATS"', 'primary_exchange = "LSEETF"', 1)
        )
    for key, value in policy.items():
        old = next(line for line in text.splitlines() if line.startswith(f"{key} = "))
        text = text.replace(old, f"{key} = {value}", 1)
    path = tmp_path / "portfolio.toml"
    path.write_text(with_schedule(text, schedule))
    return path


def run_at(moment: str, path: Path):
    """``rp-tui run`` at ``moment`` (UTC) on the demo account, in process."""
    with time_machine.travel(utc(moment), tick=False):
        session = open_session(path)
        return run_scheduled(session, lambda read_only: make_broker(session, "demo"))


def events(name: str) -> list[dict]:
    return TradeLog().read(events=(name,))


def test_a_due_run_executes_once_and_a_second_run_of_the_period_sends_nothing(tmp_path):
    path = config(tmp_path)
    first = run_at("2026-11-30 15:00", path)
    assert (first.outcome, first.exit_code, first.decision.key) == (
        "executed",
        0,
        "monthly:2026-11",
    )
    fills = events("demo_fill")
    assert fills and {f["order_ref"].rsplit(":", 1)[0] for f in fills} == {
        "rp-tui:monthly-2026-11.1"
    }
    again = run_at("2026-11-30 16:00", path)
    assert (again.outcome, again.exit_code) == ("not_due", 0)
    assert "monthly:2026-11 already ran (executed" in again.message
    assert events("demo_fill") == fills
    summaries = events("scheduled_run")
    assert [(s["due"], s["outcome"]) for s in summaries] == [(True, "executed"), (False, "not_due")]
    assert summaries[0]["orders"] and summaries[0]["run_id"] == "monthly-2026-11.1"
    log = read_run_log()
    assert len(log) == 2 and "monthly:2026-11" in log[0] and "executed" in log[0]
    assert "next run 2026-12-31 10:00 EST (XNYS)" in log[1]


def test_not_due_on_a_weekend_says_when_the_next_run_is(tmp_path):
    report = run_at("2026-11-28 15:00", config(tmp_path))
    assert (report.outcome, report.exit_code) == ("not_due", 0)
    assert report.decision.next_at == utc("2026-11-30 15:00")
    assert report.next_run().startswith("2026-11-30 10:00 EST (XNYS)")
    assert not events("demo_fill") and not events("run_started")
    assert events("scheduled_run")[0]["due"] is False


def test_plan_only_runs_plan_and_send_nothing(tmp_path):
    report = run_at("2026-11-30 15:00", config(tmp_path, schedule="execute = false"))
    assert report.outcome == "planned" and report.plan is not None and report.plan.orders
    assert {o.state for o in report.orders} == {"planned"}
    assert not events("demo_fill") and not events("intent")


def in_window(record: dict, p) -> bool:
    """Whether the intent ``record`` left while its own exchange was in its window."""
    when = datetime.fromisoformat(record["ts"])
    asset = next(a for a in p.assets if a.symbol == record["symbol"])
    return Timetable(p, when).window_at(listing_calendar(asset), when) is not None


def test_mixed_nyse_and_lse_orders_wait_for_their_own_exchange(tmp_path):
    path = config(tmp_path, london=("QUAL", "USMV"))  # 2026-08-31: a UK bank holiday
    held = run_at("2026-08-31 14:00", path)
    assert held.outcome == "held" and held.exit_code == 0
    states = {o.symbol: (o.state, o.mic) for o in held.orders}
    assert states["QUAL"] == ("held", "XLON") and states["USMV"] == ("held", "XLON")
    assert states["SIZE"][0] == "sent"
    assert "held back, exchange closed: SELL QUAL (XLON), BUY USMV (XLON)" in held.message
    assert {f["symbol"] for f in events("demo_fill")} == {"SIZE"}
    waiting = run_at("2026-08-31 16:00", path)  # XLON still closed: no new attempt
    assert waiting.outcome == "not_due" and waiting.decision.next_at == utc("2026-09-01 07:30")
    follow = run_at("2026-09-01 07:30", path)  # 08:30 in London, 03:30 in New York
    assert (follow.decision.kind, follow.run_id) == ("continue", "monthly-2026-08.2")
    sent = [o.symbol for o in follow.orders if o.state == "sent"]
    assert sorted(sent) == ["QUAL", "USMV"] and follow.outcome == "executed"
    fills = events("demo_fill")
    assert sorted(f["symbol"] for f in fills) == ["QUAL", "SIZE", "USMV"]  # SIZE once
    p = open_session(path).portfolio
    assert all(in_window(r, p) for r in events("intent"))


def test_the_over_trading_guard_counts_trades_before_the_period(tmp_path):
    path = config(tmp_path, min_interval_days=90)
    with time_machine.travel(utc("2026-11-20 15:00"), tick=False):
        TradeLog().append("result", run_id="manual", symbol="QUAL", status="filled", filled=5.0)
    report = run_at("2026-11-30 15:00", path)
    assert report.outcome == "withheld" and "over-trading guard" in report.message
    assert not events("demo_fill")


def test_a_resumed_attempt_is_not_withheld_by_its_own_period(tmp_path):
    path = config(tmp_path, min_interval_days=90)
    with time_machine.travel(utc("2026-11-30 15:00"), tick=False):  # attempt 1, then a crash
        log = TradeLog()
        log.append("run_started", run_key="monthly:2026-11", run_id="monthly-2026-11.1")
        log.append("result", run_id="monthly-2026-11.1", order_ref="rp-tui:monthly-2026-11.1:0",
                   symbol="MTUM", status="filled", filled=1.0)  # fmt: skip
    report = run_at("2026-11-30 15:30", path)
    assert report.decision.kind == "resume" and report.outcome == "executed"
    assert events("demo_fill")


def test_the_lock_keeps_a_second_instance_out_and_the_next_run_retries(tmp_path):
    path = config(tmp_path)
    with single_instance("the TUI"):
        busy = run_at("2026-11-30 15:00", path)
    assert busy.outcome == "error" and busy.exit_code == 2
    assert "another rp-tui is running" in busy.message and not events("demo_fill")
    again = run_at("2026-11-30 15:15", path)
    assert again.outcome == "executed" and again.decision.kind == "on-time"


def test_halted_refuses_the_run_and_the_period_is_over(tmp_path):
    path = config(tmp_path)
    write_trading_state(TradingState.HALTED)
    report = run_at("2026-11-30 15:00", path)
    assert (report.outcome, report.exit_code) == ("refused", 2)
    assert "HALTED" in report.message and not events("demo_fill")
    write_trading_state(TradingState.ACTIVE)
    assert run_at("2026-11-30 15:30", path).outcome == "not_due"


class Inbox(BaseHTTPRequestHandler):
    received: queue.Queue

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.put(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def inbox():
    """A JSON web hook on 127.0.0.1 (apprise's json:// posts to it)."""
    Inbox.received = queue.Queue()
    server = HTTPServer(("127.0.0.1", 0), Inbox)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], Inbox.received
    server.shutdown()
    server.server_close()


def test_a_due_run_notifies_through_apprise_on_loopback(tmp_path, inbox):
    port, received = inbox
    path = config(tmp_path, schedule=f'execute = true\nnotify = ["json://127.0.0.1:{port}/"]')
    report = run_at("2026-11-30 15:00", path)
    message = received.get(timeout=10)
    assert "monthly:2026-11: executed" in message["title"]
    assert "orders filled" in message["message"]
    assert report.notified == "notified 1 service(s)" and "notified 1" in read_run_log()[-1]
    run_at("2026-11-30 16:00", path)  # not due: nothing is sent
    assert received.empty()


def test_without_apprise_the_run_log_says_so_and_the_run_goes_on(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "apprise", None)  # import apprise raises ImportError
    path = config(tmp_path, schedule='execute = true\nnotify = ["json://127.0.0.1:9/"]')
    report = run_at("2026-11-30 15:00", path)
    assert report.outcome == "executed"
    assert "apprise is not installed" in read_run_log()[-1]


def test_schedule_status_for_the_dashboard(tmp_path):
    path = config(tmp_path)
    session = open_session(path)
    with time_machine.travel(utc("2026-11-30 12:00"), tick=False):
        before = schedule_status(session)
    assert (before.next_key, before.next_at, before.last_key) == (
        "monthly:2026-11", utc("2026-11-30 15:00"), ""
    )  # fmt: skip
    assert before.calendar == "XNYS" and len(before.upcoming) == 5 and before.execute
    run_at("2026-11-30 15:00", path)
    with time_machine.travel(utc("2026-11-30 16:00"), tick=False):
        after = schedule_status(session)
    assert (after.last_key, after.last_outcome) == ("monthly:2026-11", "executed")
    assert after.next_at == utc("2026-12-31 15:00") and not after.due_now
    assert after.to_json()["last_run"]["outcome"] == "executed"
