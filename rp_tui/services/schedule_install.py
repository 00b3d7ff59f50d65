"""Installing the scheduler that calls ``rp-tui run``: the user's crontab entry (edited with
python-crontab, never by string edits) or a systemd user timer.

The entry fires at the local times a run window can start — each listing exchange's open
plus ``minutes_after_open`` over the coming year, converted to this machine's time zone (so
both sides of every daylight-saving change are covered, e.g. ``0 14,15 * * 1-5`` for NYSE at
10:00 New York time seen from London). ``rp-tui run`` itself decides whether the moment is
due, so an extra firing only writes a "not due" line.

Targets are injectable for tests and dry runs: ``$RP_TUI_CRONTAB`` (or ``crontab_file``)
names a crontab *file* used instead of the user's crontab, ``$RP_TUI_SYSTEMD_DIR`` a folder
used instead of ``~/.config/systemd/user`` (then ``systemctl`` is not called).
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rp_tui.errors import UserError
from rp_tui.inputs.portfolio import Portfolio
from rp_tui.services.exchange_hours import exchange_zone
from rp_tui.services.schedule import Timetable, listing_calendar

CRONTAB_ENV = "RP_TUI_CRONTAB"
SYSTEMD_ENV = "RP_TUI_SYSTEMD_DIR"
HORIZON_DAYS = 370  # a year of sessions: every daylight-saving offset shows up


@dataclass(frozen=True)
class Firing:
    """When the scheduler fires: ``minute`` past each of ``hours`` on ``weekdays``
    (cron numbering, 0 = Sunday), in the zone named by ``zone`` ("" = this machine's)."""

    minute: int
    hours: tuple[int, ...]
    weekdays: tuple[int, ...]
    zone: str = ""

    def cron(self) -> str:
        """The five cron fields, e.g. ``0 14,15 * * 1-5``."""
        return f"{self.minute} {_list(self.hours)} * * {_list(self.weekdays)}"

    def on_calendar(self) -> str:
        """A systemd ``OnCalendar=`` value, e.g. ``Mon..Fri *-*-* 10:00:00 America/New_York``."""
        names = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
        days = ",".join(names[d] for d in self.weekdays)
        hours = ",".join(f"{h:02d}" for h in self.hours)
        return f"{days} *-*-* {hours}:{self.minute:02d}:00 {self.zone}".rstrip()


def _list(values: tuple[int, ...]) -> str:
    """``1,2,3,4,5`` as ``1-5``; other sets comma-separated."""
    if len(values) > 2 and list(values) == list(range(values[0], values[-1] + 1)):
        return f"{values[0]}-{values[-1]}"
    return ",".join(map(str, values))


def listing_mics(portfolio: Portfolio) -> list[str]:
    """The policy's calendar and every asset's listing calendar, each once, in order."""
    table = Timetable(portfolio, datetime.now(UTC))
    mics = [table.calendar] + [listing_calendar(a) for a in portfolio.assets]
    return list(dict.fromkeys(mics))


def firings(portfolio: Portfolio, exchange_time: bool = False) -> list[Firing]:
    """When the scheduler must fire so that every run window's start over the next year is
    met: in this machine's time (cron) or, with ``exchange_time``, in each exchange's own
    zone (a systemd timer names it).

    Raises:
        ConfigError / DataError: as :class:`~rp_tui.services.schedule.Timetable`.
    """
    now = datetime.now(UTC)
    table = Timetable(portfolio, now)
    until = now + timedelta(days=HORIZON_DAYS)
    found: dict[tuple[str, int], set[tuple[int, int]]] = {}
    for mic in listing_mics(portfolio):
        zone = exchange_zone(mic) if exchange_time else None
        for w in table.windows(mic):
            if not now - timedelta(days=1) <= w.start <= until:
                continue
            local = w.start.astimezone(zone) if zone else w.start.astimezone()
            key = (str(zone or ""), local.minute)
            found.setdefault(key, set()).add(((local.weekday() + 1) % 7, local.hour))
    return [
        Firing(
            minute,
            tuple(sorted({h for _, h in pairs})),
            tuple(sorted({d for d, _ in pairs})),
            zone,
        )
        for (zone, minute), pairs in sorted(found.items())
    ]


def run_command(config: Path, options: list[str]) -> str:
    """The shell command the scheduler runs: this interpreter's ``-m rp_tui run`` on the
    absolute config path, ``options`` passed on, the data directory kept when
    ``$RP_TUI_DATA_DIR`` names one; stdout discarded (the run log keeps it), stderr kept
    (cron mails errors)."""
    argv = [sys.executable, "-m", "rp_tui", "run", "--config", str(Path(config).resolve())]
    env = os.environ.get("RP_TUI_DATA_DIR")
    prefix = f"RP_TUI_DATA_DIR={shlex.quote(str(Path(env).resolve()))} " if env else ""
    return prefix + shlex.join([*argv, *options]) + " >/dev/null"


def marker(config: Path) -> str:
    """The comment that names this portfolio's entry (one per config file)."""
    return f"rp-tui run {Path(config).resolve()}"


def _crontab(crontab_file: str | None):
    """The crontab to edit: a file (``crontab_file`` or ``$RP_TUI_CRONTAB``) or the user's."""
    from crontab import CronTab

    path = crontab_file or os.environ.get(CRONTAB_ENV)
    if path:
        Path(path).touch(exist_ok=True)
        return CronTab(tabfile=path), path
    if shutil.which("crontab") is None:
        raise UserError("no crontab command on this machine: use rp-tui schedule install --systemd")
    try:
        return CronTab(user=True), ""
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        raise UserError(f"cannot read your crontab: {exc}") from exc


def install_cron(portfolio: Portfolio, options: list[str], crontab_file: str | None = None):
    """Write (or replace) this portfolio's crontab entries. Returns the lines written."""
    wanted = firings(portfolio)  # a schedule that cannot run is refused before any edit
    tab, path = _crontab(crontab_file)
    tag = marker(portfolio.path)
    tab.remove_all(comment=tag)
    command = run_command(portfolio.path, options)
    for firing in wanted:
        job = tab.new(command=command, comment=tag)
        job.setall(firing.cron())
    _write(tab, path)
    return [str(job) for job in tab.find_comment(tag)]


def remove_cron(portfolio_path: Path, crontab_file: str | None = None) -> int:
    """Remove this portfolio's crontab entries; returns how many there were."""
    tab, path = _crontab(crontab_file)
    count = tab.remove_all(comment=marker(portfolio_path))
    _write(tab, path)
    return count


def cron_entries(portfolio_path: Path, crontab_file: str | None = None) -> list[str]:
    """This portfolio's crontab entries as installed (empty when none, or no crontab)."""
    try:
        tab, _ = _crontab(crontab_file)
    except UserError:
        return []
    return [str(job) for job in tab.find_comment(marker(portfolio_path))]


def _write(tab, path: str) -> None:
    try:
        if path:
            tab.write(path)
        else:
            tab.write()
    except (OSError, subprocess.SubprocessError) as exc:
        raise UserError(f"cannot write the crontab {path or ''}: {exc}; nothing changed") from exc


def systemd_units(portfolio_path: Path, folder: str | None) -> tuple[Path, str, bool]:
    """(unit folder, unit name, whether it is the real user folder) of a portfolio's timer."""
    override = folder or os.environ.get(SYSTEMD_ENV)
    where = Path(override) if override else Path.home() / ".config" / "systemd" / "user"
    digest = hashlib.sha1(str(Path(portfolio_path).resolve()).encode()).hexdigest()[:8]
    return where, f"rp-tui-run-{digest}", not override


def install_systemd(portfolio: Portfolio, options: list[str], folder: str | None = None):
    """Write a systemd user service and timer (``OnCalendar=`` in each exchange's own zone,
    ``Persistent=true``) and, in the real user folder, enable the timer. Returns the
    files written and what was done (or is left to do) with ``systemctl``."""
    calendars = "".join(f"OnCalendar={f.on_calendar()}\n" for f in firings(portfolio, True))
    where, name, real = systemd_units(portfolio.path, folder)
    where.mkdir(parents=True, exist_ok=True)
    command = run_command(portfolio.path, options)
    service = (
        f"[Unit]\nDescription=rp-tui scheduled run of {portfolio.path.resolve()}\n\n"
        f"[Service]\nType=oneshot\nExecStart=/bin/sh -c {shlex.quote(command)}\n"
    )
    timer = (
        f"[Unit]\nDescription=rp-tui scheduled run of {portfolio.path.resolve()}\n\n"
        f"[Timer]\n{calendars}Persistent=true\n\n[Install]\nWantedBy=timers.target\n"
    )
    files = [where / f"{name}.service", where / f"{name}.timer"]
    files[0].write_text(service)
    files[1].write_text(timer)
    steps = [["daemon-reload"], ["enable", "--now", f"{name}.timer"]]
    return files, _systemctl(steps, real)


def remove_systemd(portfolio_path: Path, folder: str | None = None):
    """Disable (real folder) and delete this portfolio's units. Returns the files removed
    and what was done with ``systemctl``."""
    where, name, real = systemd_units(portfolio_path, folder)
    note = _systemctl([["disable", "--now", f"{name}.timer"]], real)
    removed = []
    for path in (where / f"{name}.timer", where / f"{name}.service"):
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed, note + (_systemctl([["daemon-reload"]], real) if real else "")


def _systemctl(steps: list[list[str]], real: bool) -> str:
    """Run ``systemctl --user`` steps in the real folder; elsewhere say what to run."""
    lines = [shlex.join(["systemctl", "--user", *step]) for step in steps]
    if not real or shutil.which("systemctl") is None:
        return "run: " + " && ".join(lines)
    for step, line in zip(steps, lines, strict=True):
        done = subprocess.run(
            ["systemctl", "--user", *step], capture_output=True, text=True, check=False
        )
        if done.returncode:
            return f"{line} failed: {done.stderr.strip()}; run it yourself"
    return "done: " + " && ".join(lines)
