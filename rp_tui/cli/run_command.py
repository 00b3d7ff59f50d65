"""``rp-tui run``: what a scheduler calls. Due or not is decided from the exchange calendar
and the trade log (:mod:`rp_tui.services.schedule`); a due run is reconciled with the broker,
planned and, with ``[schedule] execute = true``, executed through every guard
(:mod:`rp_tui.services.scheduled_run`).

Exit codes: 0 not due, or done (also: plan only, nothing to trade, orders held back for a
closed exchange); 1 some orders failed or remain open; 2 refused, bad input or the run
could not happen (the run log says why).
"""

from __future__ import annotations

import argparse
import sys

from rp_tui.cli.common import CommandExit, broker_from_args, open_from_args


def run(args: argparse.Namespace) -> dict:
    """One scheduled run now; prints what it did (or when the next run is).

    Raises:
        ConfigError / DataError: the portfolio cannot be read (nothing is recorded).
        CommandExit: the run's exit code is not 0 (its document rides along).
    """
    from rp_tui.services.scheduled_run import run_scheduled

    session = open_from_args(args)
    report = run_scheduled(
        session,
        lambda read_only: broker_from_args(session, args, read_only=read_only),
        confirm_live=args.confirm_live or "",
    )
    doc = report.to_json()
    if args.format == "text":
        _print(report)
    if report.exit_code:
        if args.format == "text" and report.outcome in ("refused", "error"):
            print(f"rp-tui: error: {report.message}", file=sys.stderr)
        raise CommandExit(doc, report.exit_code)
    return doc


def _print(report) -> None:
    from rp_tui.cli.render import print_plan

    d = report.decision
    if not d.due:
        print(f"{report.message}")
        print(f"next run: {d.key or '?'} at {report.next_run()}")
        return
    print(f"{d.key}: {d.kind} run {report.run_id} ({d.reason})")
    rec = report.reconciliation
    if rec is not None and (rec.booked_fills or rec.results or rec.not_sent or rec.working):
        print(
            f"reconciled: {len(rec.found)} earlier orders at the broker, {rec.booked_fills} "
            f"fills and {len(rec.results)} outcomes booked, {len(rec.not_sent)} never sent, "
            f"{len(rec.working)} still working"
        )
    if report.plan is not None:
        print_plan(report.plan)
    for o in report.orders:
        status = f" {o.status} {o.filled:g}" if o.state == "sent" else ""
        why = f": {o.reason}" if o.reason else ""
        print(f"  {o.state:>7} {o.side} {o.quantity:g} {o.symbol}{status}{why}")
    print(f"{report.outcome}: {report.message}")
    if report.notified:
        print(report.notified)
    print(f"next run: {report.next_run()}")
