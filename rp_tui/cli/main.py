"""The ``rp-tui`` entry point: parse, run one subcommand (imported only when chosen), print
its JSON document with ``--format json``, and turn the project's errors into exit code 2."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib import import_module

from rp_tui.cli.parser import build_parser

# subcommand -> module of rp_tui.cli with its run(args); imported only when that one runs
COMMANDS = {
    "init": "init_command",
    "weights": "weights_command",
    "plan": "plan_command",
    "rebalance": "rebalance_command",
    "risk": "risk_command",
    "backtest": "backtest_command",
    "sweep": "sweep_command",
    "run": "run_command",
    "schedule": "schedule_command",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rp-tui`` script; returns the exit code (0 done, 1 some orders
    did not fill, 2 bad input or refused, 130 interrupted, 141 the reader of stdout left,
    as ``rp-tui weights | head -3``)."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except BrokenPipeError:  # quietly, as Unix tools do when the pipe closes
        _silence_stdout()
        return 141
    except KeyboardInterrupt:
        print("rp-tui: interrupted", file=sys.stderr)
        return 130


def _run(args) -> int:
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
            from rp_tui.state.storage import json_text

            sys.stdout.write(json_text(doc) + "\n")
        sys.stdout.flush()  # a closed pipe is met here, not at the interpreter's exit
        return code
    except UserError as exc:
        print(f"rp-tui: error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # a last net: a value the checks above did not foresee
        print(f"rp-tui: error: {exc}", file=sys.stderr)
        return 2


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (AttributeError, OSError, ValueError):
        pass  # no file descriptor (a test's captured stdout): nothing is flushed at exit
