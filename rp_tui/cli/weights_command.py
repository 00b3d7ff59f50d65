"""``rp-tui weights``: target weights and risk contributions."""

from __future__ import annotations

import argparse

from rp_tui.cli.common import open_from_args
from rp_tui.cli.render import table


def run(args: argparse.Namespace) -> dict:
    """Print (text) and return (JSON) the targets of ``--method`` / ``--lookback`` / ``--as-of``."""
    from rp_tui.cli.checks import check_dates
    from rp_tui.services.targets import compute_targets

    session = open_from_args(args)
    check_dates(session.history, as_of=args.as_of)
    targets = compute_targets(session, args.method, args.lookback, args.as_of)
    if args.format == "text":
        rows = [
            [s, f"{w:.2%}", f"{rc:.2%}"]
            for s, w, rc in zip(
                targets.symbols, targets.weights, targets.risk_contributions, strict=True
            )
        ]
        print(f"{targets.method} weights as of {targets.as_of}, lookback {targets.lookback} days")
        print(table(rows, ["symbol", "weight", "risk contribution"]))
    return targets.to_json()
