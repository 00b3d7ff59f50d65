"""When a scheduled run is due, by the exchange calendar, travelling in time (time-machine):
US and UK holidays, an early close, daylight-saving changes in New York and in London, a
weekend, a month whose last weekday is a holiday, and the first run after a missed period."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine

from rp_tui.errors import ConfigError
from rp_tui.inputs.portfolio_file import load_portfolio
from rp_tui.services.schedule import decide, period_key, period_state, upcoming
from tests.conftest import PORTFOLIO


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def with_schedule(text: str, body: str) -> str:
    """``text`` (a portfolio file) with its ``[schedule]`` table, if any, replaced by
    ``body`` under a new one at the end."""
    start = text.find("\n[schedule]\n")
    if start >= 0:
        end = text.find("\n[", start + 1)
        text = text[:start] + (text[end:] if end >= 0 else "\n")
    return text + f"\n[schedule]\n{body}\n"


def portfolio(tmp_path: Path, frequency="monthly", anchor="last", calendar="", schedule=""):
    text = PORTFOLIO.read_text()
    for key, value in (("frequency", frequency), ("anchor", anchor), ("calendar", calendar)):
        old = next(line for line in text.splitlines() if line.startswith(f"{key} = "))
        text = text.replace(old, f'{key} = "{value}"', 1)
    path = tmp_path / "portfolio.toml"
    path.write_text(with_schedule(text, schedule))
    return load_portfolio(path)


def at(moment: str, p, records=()):
    """decide() with the clock travelled to ``moment`` (UTC)."""
    with time_machine.travel(utc(moment), tick=False):
        return decide(p, list(records))


def seen(moment: str) -> dict:
    """A not-due run recorded at ``moment``: the schedule was in place then."""
    return {"ts": utc(moment).isoformat(), "event": "scheduled_run", "due": False}


def ran(key: str, moment: str, outcome: str = "executed", attempt: int = 1, **extra) -> list:
    run_id = f"{key.replace(':', '-')}.{attempt}"
    started = {"ts": utc(moment).isoformat(), "event": "run_started", "run_key": key}
    done = {"ts": utc(moment).isoformat(), "event": "scheduled_run", "due": True}
    return [
        {**started, "run_id": run_id},
        {**done, "run_key": key, "run_id": run_id, "outcome": outcome, **extra},
    ]


def test_period_keys_follow_iso_weeks_months_and_quarters():
    assert period_key("weekly", date(2026, 12, 31)) == "weekly:2026-W53"
    assert period_key("weekly", date(2027, 1, 4)) == "weekly:2027-W01"
    assert period_key("monthly", date(2026, 11, 30)) == "monthly:2026-11"
    assert period_key("quarterly", date(2026, 11, 30)) == "quarterly:2026-Q4"


def test_due_at_the_open_plus_minutes_on_the_last_session_of_the_month(tmp_path):
    p = portfolio(tmp_path)
    before = at("2026-11-30 14:59", p)  # 09:59 EST, 29 minutes after the open
    assert not before.due and before.next_at == utc("2026-11-30 15:00")
    due = at("2026-11-30 15:00", p)
    assert (due.due, due.key, due.kind, due.run_id) == (
        True,
        "monthly:2026-11",
        "on-time",
        "monthly-2026-11.1",
    )
    assert due.next_at == utc("2026-12-31 15:00")


def test_a_us_holiday_moves_the_first_session_of_the_month(tmp_path):
    p = portfolio(tmp_path, anchor="first")
    holiday = at("2027-01-01 15:00", p)  # New Year's Day: NYSE closed
    assert not holiday.due and holiday.next_at == utc("2027-01-04 15:00")
    assert at("2027-01-04 15:00", p).key == "monthly:2027-01"


def test_a_month_whose_last_weekday_is_a_holiday(tmp_path):
    p = portfolio(tmp_path)  # Monday 2027-05-31 is Memorial Day: Friday the 28th is the last
    assert not at("2027-05-31 14:00", p).due
    decision = at("2027-05-28 14:00", p)  # 10:00 EDT
    assert decision.due and decision.key == "monthly:2027-05"
    london = portfolio(tmp_path, calendar="XLON")  # 2026-08-31 is a UK bank holiday
    assert at("2026-08-28 07:30", london).key == "monthly:2026-08"  # 08:30 BST
    assert not at("2026-08-31 07:30", london).due


def test_an_early_close_shortens_the_window_and_refuses_a_run_into_the_auction(tmp_path):
    p = portfolio(tmp_path, frequency="weekly")  # Black Friday 2026-11-27 closes at 13:00 EST
    assert at("2026-11-27 15:00", p).key == "weekly:2026-W48"
    assert at("2026-11-27 17:43", p).due  # 13:00 - 15 min - 2 x 60 s fill timeout
    closed = at("2026-11-27 17:44", p)
    assert not closed.due and closed.next_at == utc("2026-12-04 15:00")
    with pytest.raises(ConfigError) as refused:
        at("2026-11-02 15:00", portfolio(tmp_path, schedule="minutes_after_open = 200"))
    message = str(refused.value)
    assert "schedule.minutes_after_open" in message and "2026-11-27" in message
    assert "closes early" in message and "use at most 193" in message


def test_the_opening_auction_is_refused_by_the_config_reader(tmp_path):
    with pytest.raises(ConfigError, match=r"schedule.minutes_after_open: must be in \[5, 600\]"):
        portfolio(tmp_path, schedule="minutes_after_open = 0")


def test_daylight_saving_in_new_york_moves_the_due_moment_in_utc(tmp_path):
    p = portfolio(tmp_path, frequency="weekly")  # New York springs forward on 2026-03-08
    with time_machine.travel(utc("2026-03-02 12:00"), tick=False):
        coming = upcoming(p, [], 2)
    assert coming == [
        ("weekly:2026-W10", utc("2026-03-06 15:00")),
        ("weekly:2026-W11", utc("2026-03-13 14:00")),
    ]
    with time_machine.travel(utc("2026-10-26 12:00"), tick=False):  # falls back on 2026-11-01
        coming = upcoming(p, [], 2)
    assert [t for _, t in coming] == [utc("2026-10-30 14:00"), utc("2026-11-06 15:00")]


def test_daylight_saving_in_london_and_good_friday(tmp_path):
    p = portfolio(tmp_path, frequency="weekly", calendar="XLON")  # BST from 2026-03-29
    with time_machine.travel(utc("2026-03-23 06:00"), tick=False):
        coming = upcoming(p, [], 2)
    # 08:30 GMT on Friday 27th; Good Friday 3 April is closed: Thursday 2nd, 08:30 BST
    assert coming == [
        ("weekly:2026-W13", utc("2026-03-27 08:30")),
        ("weekly:2026-W14", utc("2026-04-02 07:30")),
    ]


def test_a_weekend_is_never_due_and_names_the_next_session(tmp_path):
    p = portfolio(tmp_path)
    saturday = at("2026-11-28 15:00", p, [seen("2026-11-27 15:00")])
    assert not saturday.due and saturday.next_at == utc("2026-11-30 15:00")
    assert saturday.key == "monthly:2026-11"


def test_the_first_run_after_a_missed_period_catches_it_up_once(tmp_path):
    p = portfolio(tmp_path)
    before = [seen("2026-11-27 15:00")]  # the schedule ran the Friday before; off on the 30th
    decision = at("2026-12-01 15:00", p, before)
    assert (decision.due, decision.key, decision.kind) == (True, "monthly:2026-11", "catch-up")
    assert not at("2026-12-01 14:59", p, before).due  # only inside a window
    assert at("2026-12-01 14:59", p, before).next_at == utc("2026-12-01 15:00")
    done = before + ran("monthly:2026-11", "2026-12-01 15:00")
    after = at("2026-12-02 15:00", p, done)
    assert not after.due and after.next_at == utc("2026-12-31 15:00")
    assert "already ran" in after.reason
    off = portfolio(tmp_path, schedule="catch_up = false")
    missed = at("2026-12-01 15:00", off, before)
    assert not missed.due and "catch_up = false" in missed.reason
    assert missed.next_at == utc("2026-12-31 15:00")
    fresh = at("2026-12-01 15:00", p)  # no earlier run: the schedule began after the 30th
    assert not fresh.due and fresh.next_at == utc("2026-12-31 15:00")


def test_only_the_latest_missed_period_is_caught_up(tmp_path):
    p = portfolio(tmp_path)
    decision = at("2027-01-05 15:00", p, [seen("2026-10-01 15:00")])
    assert decision.due and decision.key == "monthly:2026-12"


def test_a_crashed_attempt_is_resumed_in_the_next_window(tmp_path):
    p = portfolio(tmp_path)
    crashed = ran("monthly:2026-11", "2026-11-30 15:00")[:1]  # started, never summarised
    assert period_state("monthly:2026-11", crashed).state == "unfinished"
    later = at("2026-11-30 16:00", p, crashed)
    assert (later.due, later.kind, later.attempt, later.run_id) == (
        True, "resume", 2, "monthly-2026-11.2"
    )  # fmt: skip
    night = at("2026-11-30 23:00", p, crashed)
    assert not night.due and night.next_at == utc("2026-12-01 15:00")
    failed = ran("monthly:2026-11", "2026-11-30 15:00", outcome="error")
    assert at("2026-11-30 16:00", p, failed).kind == "retry"


def test_orders_held_for_a_closed_exchange_continue_when_it_opens(tmp_path):
    p = portfolio(tmp_path)
    held = ran(
        "monthly:2026-08", "2026-08-31 14:00", "held", held=[{"symbol": "QUAL", "mic": "XLON"}]
    )
    waiting = at("2026-08-31 15:00", p, held)  # a UK bank holiday
    assert not waiting.due and "XLON" in waiting.reason
    assert waiting.next_at == utc("2026-09-01 07:30")
    go = at("2026-09-01 07:30", p, held)
    assert (go.due, go.kind, go.attempt) == (True, "continue", 2)
