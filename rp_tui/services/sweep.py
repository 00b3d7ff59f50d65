"""Parameter sweeps: backtest every combination of lookback × band × method × calendar.

Local runs use a process pool over all cores (each worker loads the portfolio and prices
once); ``scheduler`` sends the same points to a Dask distributed cluster instead. Results
come back ranked by the chosen statistic.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, replace

LOWER_IS_BETTER = frozenset({"volatility", "max_drawdown", "turnover", "fees_paid"})


@dataclass(frozen=True)
class SweepPoint:
    """One backtest of the grid: lookback (days), band (fraction), method, calendar."""

    lookback: int
    band: float
    method: str
    rebalance: str


def grid(
    lookbacks: Iterable[int],
    bands: Iterable[float],
    methods: Iterable[str],
    rebalances: Iterable[str],
) -> list[SweepPoint]:
    """The cartesian product, in a stable order."""
    return [SweepPoint(*p) for p in itertools.product(lookbacks, bands, methods, rebalances)]


_WORKER_SESSION: dict[tuple, object] = {}


def _session(config: str, prices: str | None):
    key = (config, prices)
    if key not in _WORKER_SESSION:  # once per worker process
        from rp_tui.services.session import open_session

        _WORKER_SESSION[key] = open_session(config, prices)
    return _WORKER_SESSION[key]


def run_point(point: SweepPoint, config: str, prices: str | None, options) -> dict:
    """Backtest one point (no benchmarks); a row of statistics, or the error's message."""
    from rp_tui.errors import UserError
    from rp_tui.services.backtest import backtest

    row = asdict(point)
    try:
        report = backtest(
            _session(config, prices),
            replace(
                options,
                lookback=point.lookback,
                method=point.method,
                policy=replace(options.policy, band=point.band, frequency=point.rebalance),
                benchmarks=(),
            ),
        )
    except UserError as exc:
        return {**row, "error": str(exc)}
    r = report.result
    return {
        **row,
        **{
            k: r.stats[k]
            for k in ("cagr", "volatility", "sharpe", "sortino", "max_drawdown", "calmar")
        },
        "turnover": r.turnover,
        "fees_paid": r.fees_paid,
        "rebalances": len(r.rebalance_dates),
        "error": "",
    }


def rank(rows: list[dict], key: str) -> list[dict]:
    """Best first by ``key``; failed points last."""
    sign = 1.0 if key in LOWER_IS_BETTER else -1.0
    return sorted(
        rows, key=lambda r: (bool(r["error"]), sign * r.get(key, 0.0) if not r["error"] else 0.0)
    )


def run_sweep(
    points: list[SweepPoint],
    config: str,
    prices: str | None,
    options,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict]:
    """Backtest every point; unranked rows in completion order.

    Args:
        points: the grid. config, prices: paths every worker opens.
        options: :class:`rp_tui.services.backtest.BacktestOptions` shared by all points.
        workers: processes for a local run (default: all cores).
        scheduler: a Dask scheduler address (``tcp://host:port``) to run on instead.
        progress: called with (done, total) as points finish.

    Raises:
        UserError: ``scheduler`` given but Dask distributed is not installed.
    """
    total, rows = len(points), []
    if scheduler:
        try:
            from dask.distributed import Client
            from dask.distributed import as_completed as dask_completed
        except ImportError as exc:
            from rp_tui.errors import UserError

            raise UserError(
                f"--scheduler {scheduler}: Dask distributed is not installed in this Python "
                f"({exc.name or 'distributed'} is missing); run `pip install distributed`, "
                "or leave out --scheduler to use this machine's cores"
            ) from None

        with Client(scheduler) as client:
            futures = client.map(
                run_point, points, config=config, prices=prices, options=options, pure=False
            )
            for future in dask_completed(futures):
                rows.append(future.result())
                if progress:
                    progress(len(rows), total)
        return rows
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count()) as pool:
        futures = [pool.submit(run_point, p, config, prices, options) for p in points]
        for future in as_completed(futures):
            rows.append(future.result())
            if progress:
                progress(len(rows), total)
    return rows
