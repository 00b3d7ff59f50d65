"""Sweeps: a local process pool, and a Dask LocalCluster on loopback, give the same ranking."""

import json
from dataclasses import astuple

import pytest

from rp_tui.cli.main import main
from rp_tui.services.backtest import BacktestOptions
from rp_tui.services.sweep import grid, rank, run_sweep
from tests.conftest import PORTFOLIO

POINTS = grid([63, 126], [0.0, 0.02], ["erc", "inverse-vol"], ["monthly"])
OPTIONS = BacktestOptions(benchmarks=())


def by_point(rows):
    return {(r["lookback"], r["band"], r["method"], r["rebalance"]): r for r in rows}


def test_local_pool_runs_every_point_and_ranks():
    rows = run_sweep(POINTS, str(PORTFOLIO), None, OPTIONS, workers=2)
    assert len(rows) == 8 and not any(r["error"] for r in rows)
    ranked = rank(rows, "sharpe")
    assert [r["sharpe"] for r in ranked] == sorted((r["sharpe"] for r in rows), reverse=True)
    assert rank(rows, "max_drawdown")[0]["max_drawdown"] == min(r["max_drawdown"] for r in rows)
    banded = by_point(rows)[(126, 0.02, "erc", "monthly")]
    unbanded = by_point(rows)[(126, 0.0, "erc", "monthly")]
    assert banded["turnover"] < unbanded["turnover"]  # the band does its job


def test_rows_come_back_in_the_grids_order_whatever_finishes_first():
    """Chunks finish in any order (the largest is sent first and ends last); the rows come
    back in the grid's order, so points that tie (buy-only ignores the band) rank the same
    way at every run."""
    points = grid([63], [0.0, 0.01, 0.02, 0.03], ["erc", "inverse-vol", "hrp"], ["monthly"])
    points += grid([126], [0.0], ["erc"], ["monthly"], modes=["buy-only"])
    rows = run_sweep(points, str(PORTFOLIO), None, OPTIONS, workers=2)
    key = ("lookback", "band", "method", "rebalance", "mode", "fees")
    assert [tuple(r[k] for k in key) for r in rows] == [astuple(p) for p in points]


def test_forked_workers_start_with_the_callers_session(monkeypatch):
    """The workers never open the files the caller opened: they inherit its session (the
    forked workers see open_session broken, so opening it would fail every point)."""
    import multiprocessing

    import rp_tui.services.session as session_module
    import rp_tui.services.sweep as sweep
    from rp_tui.errors import UserError

    if multiprocessing.get_start_method() != "fork":
        pytest.skip("only a forked worker inherits the caller's memory")
    session = session_module.open_session(str(PORTFOLIO), None)
    alone = run_sweep(POINTS[:2], str(PORTFOLIO), None, OPTIONS, workers=1)

    def broken(*_args, **_kw):
        raise UserError("opened again")

    monkeypatch.setattr(session_module, "open_session", broken)
    rows = run_sweep(POINTS[:2], str(PORTFOLIO), None, OPTIONS, workers=1, session=session)
    assert by_point(rows) == by_point(alone)
    assert not sweep._WORKER_SESSION  # gone once the sweep ends: a later one reopens
    with pytest.raises(UserError, match="opened again"):
        run_sweep(POINTS[:1], str(PORTFOLIO), None, OPTIONS, workers=1)


def test_dask_cluster_gives_the_same_results():
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        remote = run_sweep(
            POINTS[:4], str(PORTFOLIO), None, OPTIONS, scheduler=cluster.scheduler_address
        )
    local = run_sweep(POINTS[:4], str(PORTFOLIO), None, OPTIONS, workers=1)
    assert by_point(remote) == by_point(local)


def test_sweep_command_json_and_csv(capsys, tmp_path):
    out = tmp_path / "sweep.csv"
    code = main(
        [
            "sweep",
            "--config",
            str(PORTFOLIO),
            "--lookback",
            "63,126",
            "--band",
            "0.01",
            "--method",
            "erc,hrp",
            "--workers",
            "1",
            "--format",
            "json",
            "--out",
            str(out),
        ]
    )
    rows = json.loads(capsys.readouterr().out)
    assert code == 0 and len(rows) == 4
    lines = out.read_text().splitlines()
    assert lines[0].startswith("rank,method,rebalance,lookback,band,cagr") and len(lines) == 5


def test_sweep_rejects_a_bad_grid(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["sweep", "--config", str(PORTFOLIO), "--method", "erc,magic"])
    assert exit_.value.code == 2 and "magic" in capsys.readouterr().err
