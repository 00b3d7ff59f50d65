"""``rp-tui plan``: positions, drift and the fee-inclusive orders (sends nothing)."""

from __future__ import annotations

import argparse
import asyncio

from rp_tui.cli.common import broker_from_args, close, open_from_args
from rp_tui.cli.option_groups import cash_flow, policy_from_args
from rp_tui.cli.render import print_plan


def run(args: argparse.Namespace) -> dict:
    """Build the plan on a read-only connection; print it (text) and return it (JSON)."""
    from rp_tui.services.plan import build_plan

    session = open_from_args(args)
    broker = broker_from_args(session, args, read_only=True)
    try:
        plan = asyncio.run(
            build_plan(session, broker, overrides=policy_from_args(args), cash_flow=cash_flow(args))
        )
    finally:
        close(broker)
    if args.format == "text":
        print_plan(plan)
    return plan.to_json()
