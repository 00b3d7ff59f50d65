"""``rp-tui run`` and ``rp-tui schedule install | show | remove``: the crontab entry is edited
through python-crontab in a temporary crontab FILE ($RP_TUI_CRONTAB) and the systemd units
in a temporary folder ($RP_TUI_SYSTEMD_DIR): the user's own crontab is never touched."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from crontab import CronTab

from rp_tui.cli.main import main
from rp_tui.state.trade_log import TradeLog
from tests.conftest import PORTFOLIO
from tests.services.test_schedule import with_schedule


@pytest.fixture(autouse=True)
def targets(tmp_path, monkeypatch):
    """Never the user's crontab or systemd folder: files under tmp_path."""
    monkeypatch.setenv("RP_TUI_CRONTAB", str(tmp_path / "crontab"))
    monkeypatch.setenv("RP_TUI_SYSTEMD_DIR", str(tmp_path / "systemd"))
    return tmp_path / "crontab", tmp_path / "systemd"


@pytest.fixture
def zone(monkeypatch):
    """Set this process's local time zone (TZ), restored afterwards."""

    def set_zone(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


def config(tmp_path: Path, schedule: str = "", london=()) -> Path:
    text = PORTFOLIO.read_text()
    for symbol in london:
        head, tail = text.split(f'symbol = "{symbol}"', 1)
        tail = tail.replace('primary_exchange = "BATS"', 'primary_exchange = "LSEETF"', 1)
        text = f'{head}symbol = "{symbol}"{tail}'
    path = tmp_path / "portfolio.toml"
    path.write_text(with_schedule(text, schedule))
    return path


def rp_tui(moment: str, *argv: str) -> int:
    """``rp-tui ARGV`` at ``moment`` (UTC), keeping this process's time zone (a timestamp:
    time-machine switches the zone to that of an aware destination)."""
    instant = datetime.fromisoformat(moment).replace(tzinfo=UTC).timestamp()
    with time_machine.travel(instant, tick=False):
        return main(list(argv))


def jobs(path: Path) -> list[str]:
    return [str(job) for job in CronTab(tabfile=str(path))]


def test_install_show_and_remove_edit_only_our_entry(tmp_path, targets, zone, capsys):
    crontab, _ = targets
    crontab.write_text("5 4 * * * echo keep # someone else's\n")
    zone("Europe/London")
    path = config(tmp_path)
    assert rp_tui("2026-12-01 12:00", "schedule", "install", "--config", str(path)) == 0
    assert rp_tui("2026-12-01 12:00", "schedule", "install", "--config", str(path)) == 0
    keep, ours = jobs(crontab)
    assert keep == "5 4 * * * echo keep # someone else's"
    # 10:00 in New York is 15:00 in London, 14:00 in the weeks their clocks differ
    assert ours.startswith("0 14,15 * * 1-5 ")
    assert f"-m rp_tui run --config {path.resolve()}" in ours and "RP_TUI_DATA_DIR=" in ours
    assert ours.endswith(f"# rp-tui run {path.resolve()}")
    capsys.readouterr()
    assert (
        rp_tui("2026-12-01 12:00", "schedule", "show", "--config", str(path), "--format", "json")
        == 0
    )
    shown = json.loads(capsys.readouterr().out)
    assert shown["installed"] == [ours] and len(shown["upcoming"]) == 5
    assert shown["upcoming"][0] == {"key": "monthly:2026-12", "at": "2026-12-31T15:00:00+00:00"}
    assert rp_tui("2026-12-01 12:00", "schedule", "show", "--config", str(path)) == 0
    text = capsys.readouterr().out
    assert "monthly:2026-12    2026-12-31 10:00 EST (XNYS)" in text and "15:00 GMT here" in text
    assert rp_tui("2026-12-01 12:00", "schedule", "remove", "--config", str(path)) == 0
    assert jobs(crontab) == [keep]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("America/New_York", ["0 10 * * 1-5"]),
        ("UTC", ["0 14,15 * * 1-5"]),
        ("Europe/London", ["0 14,15 * * 1-5", "30 8 * * 1-5"]),
    ],
)
def test_cron_fires_at_every_local_hour_a_window_can_open(tmp_path, targets, zone, name, expected):
    zone(name)
    london = ("QUAL",) if len(expected) == 2 else ()  # an LSE listing: 08:30 London too
    path = config(tmp_path, london=london)
    assert rp_tui("2026-12-01 12:00", "schedule", "install", "--config", str(path)) == 0
    assert sorted(j.split(" /")[0].split(" RP_TUI")[0] for j in jobs(targets[0])) == expected


def test_a_systemd_user_timer_names_the_exchange_zone(tmp_path, targets, capsys):
    _, folder = targets
    path = config(tmp_path)
    assert (
        rp_tui("2026-12-01 12:00", "schedule", "install", "--systemd", "--config", str(path)) == 0
    )
    timer, service = sorted(folder.glob("*.timer")), sorted(folder.glob("*.service"))
    assert len(timer) == len(service) == 1
    text = timer[0].read_text()
    assert "OnCalendar=Mon,Tue,Wed,Thu,Fri *-*-* 10:00:00 America/New_York" in text
    assert "Persistent=true" in text
    assert f"rp_tui run --config {path.resolve()}" in service[0].read_text()
    assert "run: systemctl --user daemon-reload" in capsys.readouterr().out  # not called
    assert rp_tui("2026-12-01 12:00", "schedule", "remove", "--systemd", "--config", str(path)) == 0
    assert not list(folder.iterdir())


def test_run_when_not_due_exits_0_naming_the_next_run(tmp_path, capsys):
    path = config(tmp_path, "execute = true")
    assert rp_tui("2026-11-28 15:00", "run", "--config", str(path)) == 0
    out = capsys.readouterr().out
    assert "next run: monthly:2026-11 at 2026-11-30 10:00 EST (XNYS)" in out
    assert not TradeLog().read(events=("intent",))


def test_run_when_due_prints_one_json_document(tmp_path, capsys):
    path = config(tmp_path, "execute = true")
    assert rp_tui("2026-11-30 15:00", "run", "--config", str(path), "--format", "json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["due"], doc["run_key"], doc["outcome"]) == (True, "monthly:2026-11", "executed")
    assert doc["orders"] and all(o["state"] == "sent" for o in doc["orders"])
    assert doc["next_run"] == "2026-12-31T15:00:00+00:00"


def test_a_schedule_that_would_run_into_an_early_close_exits_2(tmp_path, capsys):
    path = config(tmp_path, "execute = true\nminutes_after_open = 200")
    assert rp_tui("2026-11-02 15:00", "run", "--config", str(path)) == 2
    err = capsys.readouterr().err
    assert "schedule.minutes_after_open" in err and "2026-11-27" in err
    assert "use at most 193" in err and "Traceback" not in err
    assert not TradeLog().read(events=("intent", "run_started"))
    (record,) = TradeLog().read(events=("scheduled_run",))
    assert record["outcome"] == "error"


def test_install_refuses_a_schedule_that_cannot_run_before_touching_the_crontab(
    tmp_path, targets, capsys
):
    path = config(tmp_path, "minutes_after_open = 250")
    assert rp_tui("2026-11-02 15:00", "schedule", "install", "--config", str(path)) == 2
    err = capsys.readouterr().err
    assert f"{path}:" in err and "schedule.minutes_after_open" in err
    assert not targets[0].exists()
    assert rp_tui("2026-11-02 15:00", "schedule", "show", "--config", str(path)) == 2
