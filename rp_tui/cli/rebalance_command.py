"""``rp-tui rebalance``: the plan, and with ``--execute`` (after confirmation) its orders.

Exit codes: 0 done, 1 some orders failed or remain open, 2 bad input or refused.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from contextlib import nullcontext
from dataclasses import asdict

from rp_tui.cli.common import CommandExit, broker_from_args, close, open_from_args
from rp_tui.cli.option_groups import cash_flow, policy_from_args
from rp_tui.cli.render import print_plan
from rp_tui.errors import UserError


def _run_done(key: str) -> bool:
    """Whether a ``rebalance --execute --run-key KEY`` already sent its orders."""
    from rp_tui.state.trade_log import TradeLog

    return any(r.get("event") == "run_done" and r.get("run_key") == key for r in TradeLog().read())


def run(args: argparse.Namespace) -> dict:
    """Dry run, or (``--execute``) send the plan's orders under the instance lock.

    Raises:
        UserError: not confirmed, or refused before anything was sent.
        CommandExit: some orders did not fill (exit 1), or the run key already ran (exit 0).
    """
    from rp_tui.services.execution import execute_plan
    from rp_tui.services.plan import build_plan
    from rp_tui.state.lock import single_instance

    session = open_from_args(args)
    broker = broker_from_args(session, args, read_only=not args.execute)

    async def plan_and_send() -> tuple[object, list]:
        plan = await build_plan(
            session, broker, overrides=policy_from_args(args), cash_flow=cash_flow(args)
        )
        if args.format == "text":
            print_plan(plan)
        if not args.execute or not plan.orders:
            return plan, []
        if args.run_key and _run_done(args.run_key):
            if args.format == "text":
                print(f"run key {args.run_key} already executed: nothing was sent")
            raise CommandExit(
                {
                    **plan.to_json(),
                    "dry_run": True,
                    "fills": [],
                    "skipped": f"run key {args.run_key} already executed",
                },
                0,
            )
        if not args.yes:
            if not sys.stdin.isatty():
                raise UserError("refusing to send orders without confirmation: add --yes")
            answer = input(f"send {len(plan.orders)} orders to {plan.account}? type yes: ")
            if answer.strip().lower() != "yes":
                raise UserError("not confirmed: nothing was sent")
        fills = await execute_plan(broker, plan, typed_confirmation=args.confirm_live or "")
        if args.run_key:
            from rp_tui.state.trade_log import TradeLog

            TradeLog().append("run_done", run_key=args.run_key, statuses=[f.status for f in fills])
        return plan, fills

    guard = single_instance("rebalancing") if args.execute else nullcontext()
    try:
        with guard:
            plan, fills = asyncio.run(plan_and_send())
    finally:
        close(broker)
    doc = {**plan.to_json(), "dry_run": not args.execute, "fills": [asdict(f) for f in fills]}
    if args.format == "text":
        if not args.execute:
            print("dry run: nothing was sent (add --execute to send)")
        for f in fills:
            note = f" ({f.message})" if f.message else ""
            print(
                f"{f.status:>9} {f.side} {f.quantity:g}/{f.quantity + f.remaining:g} "
                f"{f.symbol} @ {f.price:,.2f}, commission {f.commission:,.2f}{note}"
            )
    if any(f.status != "filled" for f in fills):
        raise CommandExit(doc, 1)
    return doc
