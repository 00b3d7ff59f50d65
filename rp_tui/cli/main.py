"""The ``rp-tui`` entry point: parse, run one subcommand (imported only when chosen), print
its JSON document with ``--format json``, and turn the project's errors into exit code 2."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from importlib import import_module

from rp_tui.cli.parser import build_parser

# subcommand -> module of rp_tui.cli with its run(args); imported only when that one runs
COMMANDS = {
    "weights": "weights_command",
    "plan": "plan_command",
    "rebalance": "rebalance_command",
    "risk": "risk_command",
    "backtest": "backtest_command",
    "sweep": "sweep_command",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rp-tui`` script; returns the exit code (0 done, 1 some orders
    did not fill, 2 bad input or refused)."""
    args = build_parser().parse_args(argv)
    from rp_tui.cli.common import CommandExit
    from rp_tui.errors import UserError

    try:
        if args.command is None:
            from rp_tui.cli.app_command import reset_demo, run_tui

            return reset_demo(args) if args.reset_demo else run_tui(args)
        code = 0
        try:
            doc = import_module(f"rp_tui.cli.{COMMANDS[args.command]}").run(args)
        except CommandExit as exit_:
            doc, code = exit_.doc, exit_.code
        if args.format == "json":
            json.dump(doc, sys.stdout, indent=2, allow_nan=False)
            sys.stdout.write("\n")
        return code
    except UserError as exc:
        print(f"rp-tui: error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # e.g. NaN statistics that JSON cannot carry
        print(f"rp-tui: error: {exc}", file=sys.stderr)
        return 2
