"""Where a sweep's time goes: the 1,000-point grid of ``bench_speed.py`` row 4 in one process,
split into the bands' lockstep sizing (``plan_rebalance_many``, one call a rebalance for a
path's bands), plans sized one account at a time, target paths, the results and the rest,
then each sizing stage's cost per call. The figures behind #16's notes.

Run: ``.venv/bin/python benchmarks/sweep_profile.py``. Prints figures; asserts nothing. The
stages are timed through wrappers (~0.3 µs a call each), so the parts add up to a little
more than the same run without them.
"""

from __future__ import annotations

import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench_speed import GRID, multi_asset_files


def grid_points():
    from rp_tui.services.sweep import grid

    values = dict(zip(GRID[::2], GRID[1::2], strict=True))
    return grid(
        [int(x) for x in values["--lookback"].split(",")],
        [float(x) for x in values["--band"].split(",")],
        values["--method"].split(","),
        values["--rebalance"].split(","),
    )


def timed(owner, name: str, seconds: dict, calls: dict, key: str | None = None) -> None:
    """Replace ``owner.name`` by a wrapper adding its time and calls under ``key``."""
    real = getattr(owner, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            seconds[key or name] += time.perf_counter() - start
            calls[key or name] += 1

    setattr(owner, name, wrapper)


def main() -> None:
    import rp_tui.domain.rebalance_many as rebalance_many
    import rp_tui.domain.replay as replay
    import rp_tui.domain.replay_many as replay_many
    import rp_tui.services.backtest_runs as backtest_runs
    import rp_tui.services.sweep as sweep
    from rp_tui.domain.fee_model import FeeTable
    from rp_tui.services.backtest import BacktestOptions

    config, csv = multi_asset_files(Path(tempfile.mkdtemp(prefix="rp-tui-profile-")))
    points, options = grid_points(), BacktestOptions(benchmarks=())
    pieces = sweep.chunks(points, 1)
    sweep.run_chunk(pieces[0][:1], str(config), str(csv), options)  # open, import, warm up

    seconds: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    timed(replay_many, "plan_rebalance_many", seconds, calls, "lockstep sizing")
    timed(replay, "plan_rebalance", seconds, calls, "plans one at a time")
    timed(backtest_runs, "strategy_path", seconds, calls, "target paths")
    timed(replay_many, "summarise", seconds, calls, "results")
    timed(replay, "summarise", seconds, calls, "results")
    for owner, name in (
        (rebalance_many, "_trading"),
        (rebalance_many, "_fit_buys"),
        (rebalance_many._Book, "finish"),
        (rebalance_many._Book, "_fill_deficits"),
        (rebalance_many._Book, "_spend_leftovers"),
        (rebalance_many._Book, "distances"),
        (FeeTable, "commission"),
    ):
        timed(owner, name, seconds, calls)
    start = time.perf_counter()
    for piece in pieces:
        sweep.run_chunk(piece, str(config), str(csv), options)
    total = time.perf_counter() - start

    print(f"{len(points)} points in one process: {total:.2f} s")
    parts = ("lockstep sizing", "plans one at a time", "target paths", "results")
    for key in parts:
        each = seconds[key] / max(calls[key], 1) * 1e6
        print(
            f"   {key:<20} {seconds[key]:6.2f} s  {seconds[key] / total:5.1%}  "
            f"{calls[key]:7d} calls  {each:7.1f} us each"
        )
    rest = total - sum(seconds[k] for k in parts)
    print(
        f"   {'the rest':<20} {rest:6.2f} s  {rest / total:5.1%}  "
        f"({rest / len(points) * 1e3:.2f} ms a point)"
    )
    print("lockstep stages (inside the sizing above):")
    for key in sorted(set(seconds) - set(parts), key=lambda k: -seconds[k]):
        print(
            f"   {key:<20} {seconds[key]:6.2f} s  {calls[key]:7d} calls  "
            f"{seconds[key] / calls[key] * 1e6:7.1f} us a call"
        )


if __name__ == "__main__":
    main()
