"""Sweeps share target paths yet give each point the same numbers as its own backtest; the
Pareto front and the chunking; Ctrl+C stops the pool's workers."""

import multiprocessing
import time
from dataclasses import replace

import pytest

import rp_tui.services.backtest_runs as runs
from rp_tui.services.backtest import BacktestOptions, backtest
from rp_tui.services.policy import PolicyOverrides
from rp_tui.services.session import open_session
from rp_tui.services.sweep import (
    STATS,
    SweepPoint,
    chunks,
    grid,
    mark_pareto,
    point_options,
    run_chunk,
    run_sweep,
)
from tests.conftest import PORTFOLIO

POINTS = grid(
    [63, 126], [0.0, 0.02], ["erc", "inverse-vol"], ["monthly"], [None, "buy-only"], [None, "none"]
)
OPTIONS = BacktestOptions(benchmarks=(), contribution=1_000.0)


def close(a: float, b: float) -> bool:
    return a == b or (a != a and b != b) or abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))


def one_by_one(points, options):
    session = open_session(PORTFOLIO)
    return [backtest(session, point_options(p, options)).result for p in points]


@pytest.mark.parametrize("interval", [0, 75])
def test_every_point_equals_its_own_backtest(interval):
    options = replace(OPTIONS, policy=PolicyOverrides(min_interval_days=interval))
    rows = run_chunk(POINTS, str(PORTFOLIO), None, options)
    assert len(rows) == len(POINTS) == 32 and not any(r["error"] for r in rows)
    for row, point, alone in zip(rows, POINTS, one_by_one(POINTS, options), strict=True):
        assert (row["lookback"], row["band"], row["mode"], row["fees"]) == (
            point.lookback,
            point.band,
            point.mode,
            point.fees,
        )
        for key in STATS:
            assert close(row[key], alone.stats[key]), (point, key)
        assert close(row["turnover"], alone.turnover) and close(row["fees_paid"], alone.fees_paid)
        assert row["rebalances"] == len(alone.rebalance_dates)


def count_windows(monkeypatch) -> list[int]:
    """Windows allocated, one at a time or ``many`` at once: a list of 1s."""
    calls: list[int] = []
    one, many = runs.allocate, runs.allocate_many
    monkeypatch.setattr(runs, "allocate", lambda *a, **k: calls.append(1) or one(*a, **k))
    monkeypatch.setattr(
        runs, "allocate_many", lambda w, *a, **k: calls.extend([1] * len(w)) or many(w, *a, **k)
    )
    return calls


def test_points_that_differ_in_band_mode_or_fees_allocate_once(monkeypatch):
    calls = count_windows(monkeypatch)
    rows = run_chunk(POINTS, str(PORTFOLIO), None, OPTIONS)
    per_path = {(r["lookback"], r["method"]): r["rebalances"] for r in rows}
    assert len(per_path) == 4  # 32 points, 4 target paths
    assert len(calls) == sum(per_path.values())  # each path's rebalances, once


def test_quarter_ends_reuse_the_monthly_weights(monkeypatch):
    calls = count_windows(monkeypatch)
    points = grid([126], [0.0, 0.02], ["inverse-vol", "erc"], ["quarterly", "monthly"])
    rows = run_chunk(points, str(PORTFOLIO), None, OPTIONS)
    months = next(r["rebalances"] for r in rows if r["rebalance"] == "monthly")
    quarters = next(r["rebalances"] for r in rows if r["rebalance"] == "quarterly")
    assert quarters < months and len(calls) == 2 * months  # the quarters came from the months
    for row, alone in zip(rows, one_by_one(points, OPTIONS), strict=True):
        assert all(close(row[key], alone.stats[key]) for key in STATS)


def test_fees_and_mode_points_really_differ():
    rows = {
        (r["lookback"], r["band"], r["method"], r["mode"], r["fees"]): r
        for r in run_chunk(POINTS[:8], str(PORTFOLIO), None, OPTIONS)
    }
    assert rows[(63, 0.0, "erc", None, None)]["fees_paid"] > 0
    assert rows[(63, 0.0, "erc", None, "none")]["fees_paid"] == 0
    assert (
        rows[(63, 0.0, "erc", "buy-only", None)]["turnover"]
        != rows[(63, 0.0, "erc", None, None)]["turnover"]
    )


def test_a_group_failing_names_its_error_for_each_point():
    points = grid([5000], [0.0, 0.01], ["erc"], ["monthly"])
    rows = run_chunk(points, str(PORTFOLIO), None, OPTIONS)
    assert len(rows) == 2 and all("5000 returns" in r["error"] for r in rows)


def test_pareto_front_is_return_against_drawdown():
    rows = [
        {"error": "", "cagr": 0.10, "max_drawdown": 0.30},  # front: best return
        {"error": "", "cagr": 0.08, "max_drawdown": 0.20},  # front
        {"error": "", "cagr": 0.08, "max_drawdown": 0.25},  # dominated by the one above
        {"error": "", "cagr": 0.05, "max_drawdown": 0.10},  # front: least drawdown
        {"error": "", "cagr": 0.04, "max_drawdown": 0.10},  # dominated (same DD, less CAGR)
        {"error": "", "cagr": 0.05, "max_drawdown": 0.10},  # a tie with a front point
        {"error": "bad", "cagr": 0.5, "max_drawdown": 0.0},  # failed: never on it
        {"error": "", "cagr": float("nan"), "max_drawdown": 0.0},
    ]
    assert [r["pareto"] for r in mark_pareto(rows)] == [
        True,
        True,
        False,
        True,
        False,
        True,
        False,
        False,
    ]


def test_chunks_keep_a_path_together_unless_workers_would_idle():
    many = grid([63, 126], [0.0, 0.01, 0.02], ["erc", "hrp"], ["monthly", "quarterly"])
    pieces = chunks(many, workers=1)  # 4 lookback x method groups of 6 = 4 x workers: whole
    assert len(pieces) == 4 and all(len({p.chunk_key for p in c}) == 1 for c in pieces)
    assert len(chunks(many, workers=2)) == 8  # too few groups for 2 workers: halved
    few = grid([63], [x / 100 for x in range(20)], ["erc"], ["monthly"])
    pieces = chunks(few, workers=2)  # one group: split so both workers have work
    assert len(pieces) >= 4 and sorted(p.band for c in pieces for p in c) == [p.band for p in few]


def test_ctrl_c_cancels_and_stops_the_workers():
    points = [SweepPoint(63, b / 1000, "erc", "monthly") for b in range(40)]

    def interrupt(done, total):
        raise KeyboardInterrupt

    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        run_sweep(points, str(PORTFOLIO), None, OPTIONS, workers=2, progress=interrupt)
    deadline = start + 30  # workers exit in well under a second, unless loaded
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not multiprocessing.active_children()
    assert time.monotonic() - start < 30
