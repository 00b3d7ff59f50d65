"""Issue #10 item 4: SIGKILL the demo account's execution many times; no fill is ever lost.

A fork server executes demo orders (sell one share, buy it back, through the shared
execution path) until a random SIGKILL; after each kill the account file and the trade log
are compared (``tests/broker/demo_kill.py``). Prints: kills, fills logged, kills that fell
between the log and the account file (recovered by replaying the log), fills missing from
the log (must be 0) and recovered accounts that are not seed + logged fills (must be 0).

Run: ``.venv/bin/python benchmarks/kill_demo_execute.py [KILLS] [MAX_DELAY_S] [SEED]``
(defaults 200, 0.08, 1).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.broker.demo_kill import KillHarness  # noqa: E402


def main(kills: int, max_delay: float, seed: int) -> int:
    start = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="kill-demo-"))
    with KillHarness(folder / "data", REPO / "portfolio.toml", seed=seed) as harness:
        for _ in range(kills):
            harness.kill_once(max_delay)
    f = harness.figures
    print(f"kills                                  {f.kills}")
    print(f"fills logged                           {f.fills_logged}")
    print(f"kills between log and account file     {f.behind} (replayed from the log)")
    print(f"fills missing from the log             {f.missing}")
    print(f"accounts != seed + logged fills        {f.mismatched}")
    print(f"wall time                              {time.perf_counter() - start:.1f} s")
    for problem in f.problems[:5]:
        print("  ", problem)
    return 0 if f.missing == 0 and f.mismatched == 0 else 1


if __name__ == "__main__":
    args = sys.argv[1:]
    sys.exit(
        main(
            int(args[0]) if args else 200,
            float(args[1]) if len(args) > 1 else 0.08,
            int(args[2]) if len(args) > 2 else 1,
        )
    )
