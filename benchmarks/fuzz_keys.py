"""Fuzz the app with random key sequences sent through Pilot (issue #10).

Each sequence (``tests/ui/key_fuzz.py``: up to ``--length`` keys drawn from the app's
keys, the editor's typing and now and then ``q``) runs in a fresh app on the demo broker,
over a fresh copy of ``portfolio.toml`` and a fresh data directory in a temporary folder:
nothing real is traded and nothing of the user's is written. A crash is an exception that
ends the app or a worker that ends in error.

Run: ``.venv/bin/python benchmarks/fuzz_keys.py [--sequences N] [--length L] [--seed S]``
(500 sequences of up to 20 keys by default). Prints sequences, keys, sequences that quit
early and crashes (with each crashing sequence's index and keys, to replay with
``key_fuzz.sequence(seed, index, length)``); exits 1 if any crashed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo, for tests.ui


def main() -> int:
    from tests.ui.key_fuzz import run_sequences

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=500, help="key sequences (500)")
    parser.add_argument("--length", type=int, default=20, help="keys per sequence, at most (20)")
    parser.add_argument("--seed", type=int, default=1, help="seed (1)")
    args = parser.parse_args()

    started = time.perf_counter()
    tally = asyncio.run(run_sequences(args.sequences, args.seed, args.length))
    took = time.perf_counter() - started
    print(f"{'sequences':>9} {'keys':>6} {'quit early':>10} {'crashes':>8} {'s':>7}")
    print(
        f"{tally.sequences:>9} {tally.keys:>6} {tally.quit_early:>10} {len(tally.crashes):>8} "
        f"{took:>7.1f}"
    )
    print(f"screens visited: {', '.join(sorted(tally.screens))}")
    for index, keys, crashes in tally.crashes[:20]:
        print(f"  sequence {index}: {' '.join(keys)}\n    {'; '.join(crashes)[:300]}")
    return 1 if tally.crashes else 0


if __name__ == "__main__":
    sys.exit(main())
