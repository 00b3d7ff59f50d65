"""Serve the demo paper account: ``python -m rp_tui.tws_emulator --port 7497``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from .protocol import SERVER_VERSION
from .scenario import demo_scenario
from .server import TwsEmulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m rp_tui.tws_emulator",
        description="TWS API emulator serving a demo paper account until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=7497, help="port (default: %(default)s)")
    parser.add_argument(
        "--next-valid-id", type=int, default=1, help="first order id (default: %(default)s)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every message")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    """Run the emulator until cancelled."""
    scenario = demo_scenario()
    scenario.next_valid_id = args.next_valid_id
    async with TwsEmulator(scenario, host=args.host, port=args.port) as emu:
        account = scenario.accounts[0]
        symbols = ", ".join(p.symbol for p in scenario.positions)
        print(
            f"TWS emulator (server version {SERVER_VERSION}) on {emu.host}:{emu.port}; "
            f"account {account.account_id} ({account.base_currency}), holdings {symbols}. "
            "Ctrl-C to stop.",
            flush=True,
        )
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
