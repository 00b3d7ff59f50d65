"""``rp-tui schedule install | show | remove``: the crontab entry (or systemd user timer)
that calls ``rp-tui run``, and the next due moments. Also the parsers of ``run`` and
``schedule`` (imported by :mod:`rp_tui.cli.parser`: no heavy import at module level).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from rp_tui.errors import UserError

_BROKER_FLAGS = ("broker", "host", "port", "client_id", "confirm_live", "prices")


def add_schedule_parsers(
    commands,
    common: argparse.ArgumentParser,
    broker_options: Callable[[argparse.ArgumentParser], None],
    output: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Add ``run`` and ``schedule`` to the ``rp-tui`` subcommands."""
    run = commands.add_parser(
        "run",
        parents=[common],
        help="the scheduled run: due or not, reconcile, plan, execute",
        description="What cron or a systemd timer calls. Decides from the exchange calendar "
        "([rebalancing] frequency and anchor, [schedule] minutes_after_open) whether this "
        "moment is due; if not, says when the next run is. A due run takes the lock, "
        "reconciles with the broker, plans and, with [schedule] execute = true, sends the "
        "orders through every guard, once per period. Exit codes: 0 not due or done, 1 some "
        "orders failed or remain open, 2 refused or failed.",
    )
    broker_options(run)
    run.add_argument(
        "--confirm-live", metavar="ACCOUNT", help="a live (non-paper) account's id, typed"
    )
    output(run)
    schedule = commands.add_parser(
        "schedule",
        parents=[common],
        help="install, show or remove the scheduler entry that calls rp-tui run",
        description="install writes the user's crontab entry (or, with --systemd, a systemd "
        "user timer) calling rp-tui run with this config; show lists the next five due "
        "moments in local and exchange time; remove deletes the entry.",
    )
    schedule.add_argument("action", choices=("install", "show", "remove"))
    schedule.add_argument(
        "--systemd", action="store_true", help="a systemd user timer instead of crontab"
    )
    schedule.add_argument(
        "--crontab-file",
        metavar="FILE",
        help="edit this crontab file instead of yours (also $RP_TUI_CRONTAB)",
    )
    broker_options(schedule)
    schedule.add_argument(
        "--confirm-live", metavar="ACCOUNT", help="passed on to rp-tui run (a live account)"
    )
    output(schedule)


def run(args: argparse.Namespace) -> dict:
    """Install, show or remove the scheduler entry of ``--config``.

    Raises:
        UserError: the config or calendar is unusable, or the crontab cannot be written.
    """
    from rp_tui.inputs.portfolio_file import load_portfolio
    from rp_tui.services import schedule_install as inst

    portfolio = load_portfolio(args.config)
    if args.action == "show":
        return _show(args, portfolio)
    options = _passed_on(args)
    if args.action == "install":
        if args.systemd:
            files, note = inst.install_systemd(portfolio, options)
            doc = {"installed": [str(f) for f in files], "systemctl": note}
        else:
            doc = {"installed": inst.install_cron(portfolio, options, args.crontab_file)}
    elif args.systemd:
        files, note = inst.remove_systemd(portfolio.path)
        doc = {"removed": [str(f) for f in files], "systemctl": note}
    else:
        doc = {"removed": inst.remove_cron(portfolio.path, args.crontab_file)}
    if args.format == "text":
        for key, value in doc.items():
            lines = value if isinstance(value, list) else [value]
            print(f"{key}:" + ("" if lines else " nothing"))
            for line in lines:
                print(f"  {line}")
        if args.action == "install":
            _show(args, portfolio, entries=False)
    return doc


def _passed_on(args: argparse.Namespace) -> list[str]:
    """The broker options given to ``schedule install``, for the ``run`` command line."""
    options = []
    for name in _BROKER_FLAGS:
        value = getattr(args, name, None)
        if value is not None:  # cron starts in the home folder: a file by its full path
            value = Path(value).resolve() if name == "prices" else value
            options += [f"--{name.replace('_', '-')}", str(value)]
    return options


def _show(args: argparse.Namespace, portfolio, entries: bool = True) -> dict:
    """The next five due moments (exchange and local time), the last run, the entries."""
    from rp_tui.services import schedule_install as inst
    from rp_tui.services.exchange_hours import describe, local_time
    from rp_tui.services.schedule_status import schedule_status

    status = schedule_status(portfolio)
    if status.problem:
        raise UserError(status.problem)
    if args.systemd:
        where, name, _ = inst.systemd_units(portfolio.path, None)
        installed = [str(where / f"{name}.timer")] if (where / f"{name}.timer").exists() else []
    else:
        installed = inst.cron_entries(portfolio.path, args.crontab_file)
    doc = {**status.to_json(), "installed": installed}
    if args.format == "text":
        print(
            f"schedule: {status.frequency} on the {status.anchor} {status.calendar} session, "
            f"{status.minutes_after_open} min after the open; "
            f"{'executes' if status.execute else 'plans only'}"
        )
        print("next due moments:")
        for key, at in status.upcoming:
            print(f"  {key:<18} {describe(at, status.calendar):<30} {local_time(at)} here")
        if status.last_key:
            print(f"last run: {status.last_key} {status.last_outcome} at {status.last_at}")
            print(f"  {status.last_message}")
        if entries:
            print("installed:" + ("" if installed else " nothing (rp-tui schedule install)"))
            for line in installed:
                print(f"  {line}")
    return doc
