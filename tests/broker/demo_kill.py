"""Kill the demo account's execution at random moments and check that nothing is lost.

A fork server (``python -m tests.broker.demo_kill DATA_DIR CONFIG``) imports everything once,
seeds the account and answers each line on stdin by forking a worker that executes demo
orders through the shared execution path until it is SIGKILLed (it prints the worker's pid,
then ``DONE`` once the worker is reaped). :class:`KillHarness` drives it from a test or
benchmark and, after every kill, compares the account on disk with the trade log:

- fills missing from the log: fills the state applied that the log does not hold (must be 0);
- behind: fills the log holds that the state had not applied yet (recovered on next load);
- after recovery the account must equal the seed plus every logged fill, exactly in shares
  and to 1e-6 in cash.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "DEMO-RP1"


def serve(data_dir: str, config: str) -> None:
    """The fork server's loop (runs in its own process)."""
    os.environ["RP_TUI_DATA_DIR"] = data_dir
    from rp_tui.services.session import make_broker, open_session

    session = open_session(config)
    make_broker(session, "demo").reset()  # seeds the account, the seed in the log
    print("READY", flush=True)
    for _ in sys.stdin:
        pid = os.fork()
        if pid == 0:
            try:
                asyncio.run(_churn(session))
            finally:
                os._exit(0)
        print(pid, flush=True)
        _, status = os.waitpid(pid, 0)
        print("DONE", status, flush=True)


async def _churn(session) -> None:
    """Sell one share, buy it back, symbol after symbol, until killed."""
    from rp_tui.broker.base import OrderRequest
    from rp_tui.services.order_flow import execute_orders
    from rp_tui.services.session import make_broker

    broker = make_broker(session, "demo")
    snap = await broker.snapshot()
    symbols = list(session.history.symbols)
    for i in range(1_000_000):
        symbol = symbols[i % len(symbols)]
        price = snap.prices[symbol]
        orders = [
            OrderRequest(symbol, "SELL", 1.0, price, "USD", 0.01),
            OrderRequest(symbol, "BUY", 1.0, price, "USD", 0.01),
        ]
        await execute_orders(broker, orders, run_id=f"kill-{os.getpid()}-{i}")


@dataclass
class Figures:
    """What the kills showed; ``missing`` and ``mismatched`` must stay 0."""

    kills: int = 0
    fills_logged: int = 0
    missing: int = 0  # fills the state applied that the log lacks
    behind: int = 0  # kills after which the log held fills the state had not applied
    mismatched: int = 0  # recovered accounts that were not seed + logged fills
    problems: list[str] = field(default_factory=list)


class KillHarness:
    """Drives the fork server in ``data_dir`` (created); use as a context manager."""

    def __init__(self, data_dir: Path, config: Path, seed: int = 1):
        self.data_dir, self.config = Path(data_dir), Path(config)
        self.random = random.Random(seed)
        self.figures = Figures()

    def __enter__(self) -> KillHarness:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "RP_TUI_DATA_DIR": str(self.data_dir), "OPENBLAS_NUM_THREADS": "1"}
        self.server = subprocess.Popen(
            [sys.executable, "-m", "tests.broker.demo_kill", str(self.data_dir), str(self.config)],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        ready = self.server.stdout.readline().strip()
        if ready != "READY":
            raise RuntimeError(f"the fork server did not start: {ready!r}")
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.stdin.close()
        self.server.wait(10)

    def kill_once(self, max_delay: float = 0.08) -> None:
        """Start a worker, SIGKILL it after a random delay, then check the account."""
        self.server.stdin.write("go\n")
        self.server.stdin.flush()
        pid = int(self.server.stdout.readline())
        time.sleep(self.random.uniform(0.0, max_delay))
        os.kill(pid, signal.SIGKILL)
        done = self.server.stdout.readline().split()
        if done[:1] != ["DONE"]:
            raise RuntimeError(f"the fork server said {done!r}")
        self.figures.kills += 1
        self.check()

    def check(self) -> None:
        """Compare the state file (as the kill left it) and the log, then recover."""
        from rp_tui.state.demo_account import load_state, reconcile
        from rp_tui.state.trade_log import TradeLog

        f = self.figures
        log = TradeLog(self.data_dir / "trade-log.ndjson")
        records = log.read(events=("demo_reset", "demo_fill"))
        raw = load_state(self.data_dir / "demo-account.json")
        fills = [r for r in records if r["event"] == "demo_fill" and r["epoch"] == raw["epoch"]]
        f.fills_logged = len(fills)
        f.missing += max(0, raw["last_fill_id"] - len(fills))
        f.behind += raw["last_fill_id"] < len(fills)
        recovered, _ = reconcile(json.loads(json.dumps(raw)), records, ACCOUNT)
        reset = next(r for r in reversed(records) if r["event"] == "demo_reset")
        shares, cash = dict(reset["quantities"]), reset["cash"]  # seed + logged fills
        for fill in fills:
            signed = fill["quantity"] if fill["side"] == "BUY" else -fill["quantity"]
            shares[fill["symbol"]] = shares.get(fill["symbol"], 0.0) + signed
            cash -= signed * fill["price"] + fill["commission"]
        held = {k: v for k, v in recovered["quantities"].items() if v}
        if held != {k: v for k, v in shares.items() if v} or abs(recovered["cash"] - cash) > 1e-6:
            f.mismatched += 1
            f.problems.append(f"kill {f.kills}: {held}, {recovered['cash']} != {shares}, {cash}")


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2])
