"""Demo fills are never lost from the trade log: write-ahead, replayed after a crash (#10 item 4).

Real processes killed with SIGKILL: at random moments (a fork server keeps each kill cheap)
and at the named crash points between the log and the account file.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

from rp_tui.broker.crash_points import CRASH_ENV
from rp_tui.services.session import make_broker, open_session
from rp_tui.state.trade_log import TradeLog
from tests.broker.demo_kill import KillHarness
from tests.conftest import PORTFOLIO, REPO


def test_random_kills_lose_no_fill(tmp_path):
    with KillHarness(tmp_path / "data", PORTFOLIO, seed=7) as harness:
        for _ in range(80):
            harness.kill_once()
    figures = harness.figures
    assert figures.kills == 80 and figures.fills_logged > 0
    assert figures.behind > 0, "some kills fell between the log and the account file"
    assert figures.missing == 0, "a fill the account applied is missing from the log"
    assert figures.mismatched == 0, figures.problems[:3]


def rebalance(data_dir, *extra_env: tuple[str, str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "RP_TUI_DATA_DIR": str(data_dir), **dict(extra_env)}
    argv = ["rebalance", "--execute", "--yes", "--config", str(PORTFOLIO), "--format", "json"]
    return subprocess.run(
        [sys.executable, "-m", "rp_tui", *argv],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )


def account(data_dir) -> dict:
    return json.loads((data_dir / "demo-account.json").read_text())


def demo_fills() -> list[dict]:
    return TradeLog().read(events=("demo_fill",))


def test_a_crash_between_the_log_and_the_account_file_is_replayed(isolated_data_dir):
    session = open_session(PORTFOLIO)
    seeded = asyncio.run(make_broker(session).snapshot())
    crashed = rebalance(isolated_data_dir, (CRASH_ENV, "demo:after_fill_logged"))
    assert crashed.returncode == -9, crashed.stderr
    assert account(isolated_data_dir)["quantities"] == seeded.quantities, "file not yet saved"
    (logged,) = demo_fills()
    assert (logged["side"], logged["fill_id"]) == ("SELL", 1)
    again = asyncio.run(make_broker(session).snapshot())  # a restart: the log is replayed
    assert (
        again.quantities[logged["symbol"]]
        == seeded.quantities[logged["symbol"]] - 1 * (logged["quantity"])
    )
    assert account(isolated_data_dir)["last_fill_id"] == 1
    done = rebalance(isolated_data_dir)  # the rest of the plan, the first sell not repeated
    assert done.returncode == 0, done.stderr
    fills = demo_fills()
    assert [f["fill_id"] for f in fills] == [1, 2, 3]
    assert [f["symbol"] for f in fills] == ["QUAL", "SIZE", "USMV"]


def test_a_crash_after_the_intent_sends_nothing(isolated_data_dir):
    session = open_session(PORTFOLIO)
    seeded = asyncio.run(make_broker(session).snapshot())
    crashed = rebalance(isolated_data_dir, (CRASH_ENV, "flow:after_intent"))
    assert crashed.returncode == -9
    events = [r["event"] for r in TradeLog().read()]
    assert events[-1] == "intent" and "demo_fill" not in events
    assert asyncio.run(make_broker(session).snapshot()).quantities == seeded.quantities
