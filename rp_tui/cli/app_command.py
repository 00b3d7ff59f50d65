"""``rp-tui`` with no subcommand: the terminal app; ``rp-tui --reset-demo``."""

from __future__ import annotations

import argparse
from pathlib import Path

from rp_tui.cli.common import broker_from_args, close, open_from_args


def reset_demo(args: argparse.Namespace) -> int:
    """Restore the seeded demo account and say where it was saved; with no portfolio file
    here, the account of the default example."""
    from rp_tui.cli.init_command import example_path
    from rp_tui.services.session import make_broker

    if not Path(args.config).exists() and args.config == "portfolio.toml":
        args.config = str(example_path())
    session = open_from_args(args)
    broker = make_broker(session, "demo")
    state = broker.reset()
    print(
        f"demo account {state['account']} reset: cash {state['cash']:,.2f} "
        f"{state['base_currency']}, bought {state['seeded_on']}; saved to {broker.path}"
    )
    return 0


def run_tui(args: argparse.Namespace) -> int:
    """Run the app under the instance lock; close the broker however it ends."""
    from rp_tui.state.lock import single_instance
    from rp_tui.ui.app import run_app

    if not Path(args.config).exists() and args.config == "portfolio.toml":
        from rp_tui.cli.init_command import offer_example

        args.config = offer_example(args.config)
    session = open_from_args(args)
    broker = broker_from_args(session, args, read_only=False)
    try:
        with single_instance("running the app"):
            run_app(session, broker)
    finally:
        close(broker)
    return 0
