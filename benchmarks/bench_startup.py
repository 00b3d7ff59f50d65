"""Start-up (#16): how soon the app paints, and how soon it shows the account, beside a bare
Textual app that imports pandas, in one run.

Each program runs in a real pseudo-terminal of 80x24 (as a user's terminal); the time is
from the launch of the process to the first byte of the marker text on the terminal:

- bare: a Textual app importing pandas whose only widget says ``bare app``; first paint.
- rp-tui: ``python -m rp_tui`` on the demo account of the multi-asset ``portfolio.toml``
  (a warm data directory: the account was seeded by a first, untimed run). First paint:
  the header's title; NAV: the dashboard's ``NAV`` line (the account's holdings and NAV,
  shown while the targets are computed); plan: the targets and orders (``7 orders to
  rebalance``), for information.

Both run from byte code compiled by that first run (into a temporary
``PYTHONPYCACHEPREFIX``), as an installed package does.

Runs alternate between the programs; the table gives medians (and min-max). Goals: first
paint ≤ 1.1× the bare app's, NAV ≤ 1.3×.

Run: ``.venv/bin/python benchmarks/bench_startup.py [--runs 9]``.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BARE = """
import pandas  # noqa: F401  (what a data app imports anyway)
from textual.app import App
from textual.widgets import Static


class Bare(App):
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self):
        yield Static("bare app")


Bare().run()
"""
TIMEOUT = 60.0  # seconds: a program that shows nothing by then failed


def timed(argv: list[str], markers: dict[str, bytes], env: dict[str, str], cwd: Path):
    """Launch ``argv`` in an 80x24 pseudo-terminal; seconds from the launch until each
    marker first appears on the terminal. Quits with ``q`` once all have appeared."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, start_new_session=True
    )
    os.close(slave)
    seen: dict[str, float] = {}
    shown = b""
    try:
        while len(seen) < len(markers) and time.perf_counter() - start < TIMEOUT:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the program ended
                break
            now = time.perf_counter()
            shown += chunk
            for name, marker in markers.items():
                if name not in seen and marker in shown:
                    seen[name] = now - start
        os.write(master, b"q")
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                try:
                    os.read(master, 65536)
                except OSError:
                    break
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        os.close(master)
    missing = set(markers) - set(seen)
    if missing:
        raise RuntimeError(f"{' '.join(argv)}: never showed {', '.join(sorted(missing))}")
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="timed runs of each (default 9)")
    parser.add_argument(
        "--as-is",
        action="store_true",
        help="keep this environment's byte-code setting (PYTHONDONTWRITEBYTECODE=1 makes "
        "every start compile rp_tui from source)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rp-tui-bench-") as tmp:
        folder = Path(tmp)
        bare = folder / "bare.py"
        bare.write_text(BARE, encoding="utf-8")
        env = {**os.environ, "TERM": "xterm-256color", "RP_TUI_DATA_DIR": str(folder / "data")}
        env["PYTHONPATH"] = str(REPO)  # this checkout's code, whatever is installed
        # compiled once by the untimed run, as an installed package is (not on every start
        # as with PYTHONDONTWRITEBYTECODE); kept out of the checkout
        if not args.as_is:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
        env.pop("TEXTUAL", None)
        programs = {
            "bare": ([sys.executable, str(bare)], {"paint": b"bare app"}),
            "rp-tui": (
                [sys.executable, "-m", "rp_tui", "--config", str(REPO / "portfolio.toml")],
                {"paint": b"rp-tui", "nav": b"NAV", "plan": b"to rebalance"},
            ),
        }
        for argv, markers in programs.values():  # untimed: seeds the demo, warms the disk
            timed(argv, markers, env, folder)
        results: dict[str, dict[str, list[float]]] = {n: {} for n in programs}
        for _ in range(args.runs):
            for name, (argv, markers) in programs.items():
                for marker, seconds in timed(argv, markers, env, folder).items():
                    results[name].setdefault(marker, []).append(seconds)
    base = statistics.median(results["bare"]["paint"])
    code = "as this environment has it" if args.as_is else "compiled once"
    print(
        f"start-up, {args.runs} runs each, 80x24 pseudo-terminal, python "
        f"{sys.version.split()[0]}, byte code {code}"
    )
    print(f"{'program':10} {'until':12} {'median s':>9} {'min-max s':>13} {'x bare':>7}  goal")
    goals = {("rp-tui", "paint"): "<= 1.10", ("rp-tui", "nav"): "<= 1.30"}
    for name, marks in results.items():
        for marker, times in marks.items():
            median = statistics.median(times)
            label = {"paint": "first paint", "nav": "NAV shown", "plan": "orders shown"}[marker]
            print(
                f"{name:10} {label:12} {median:9.3f} {min(times):6.3f}-{max(times):6.3f}"
                f" {median / base:7.2f}  {goals.get((name, marker), '')}"
            )


if __name__ == "__main__":
    main()
