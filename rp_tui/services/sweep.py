"""Parameter sweeps: backtest every combination of lookback × band × method × calendar (and,
optionally, rebalancing mode × fee plan), ranked, with the return/drawdown Pareto front.

Points that differ only in band, mode or fees share their target weights: the points are
grouped by what decides the targets (lookback, method, calendar; the rest of the options
is common to the sweep), each group's target path is computed once
(:func:`rp_tui.services.backtest_runs.strategy_path`) and only the orders are replayed:
the points of a path that differ only in the band together, in lockstep
(:func:`rp_tui.services.backtest_runs.replay_many`). The rows are the same as each point's
own :func:`rp_tui.services.backtest.backtest` (the same arithmetic in the same order).
Groups go to workers in chunks (a local process pool, a Dask ``LocalCluster`` with
``scheduler="local"``, or a Dask scheduler's address); each worker opens the portfolio and
prices once.
"""

from __future__ import annotations

import itertools
import math
import os
import signal
from collections.abc import Callable, Iterable
from dataclasses import asdict, astuple, dataclass, fields, replace

import numpy as np

LOWER_IS_BETTER = frozenset({"volatility", "max_drawdown", "turnover", "fees_paid"})
STATS = ("cagr", "volatility", "sharpe", "sortino", "max_drawdown", "calmar")


@dataclass(frozen=True)
class SweepPoint:
    """One backtest of the grid: lookback (days), band (fraction), method, calendar
    (rebalance frequency), and optionally a rebalancing mode and a fee plan (``None``: the
    sweep's options, else the config's)."""

    lookback: int
    band: float
    method: str
    rebalance: str
    mode: str | None = None
    fees: str | None = None

    @property
    def path_key(self) -> tuple:
        """What decides the target weights: points with equal keys share one path."""
        return (self.lookback, self.method, self.rebalance)

    @property
    def chunk_key(self) -> tuple:
        """Points kept in one chunk: one lookback and method, every calendar (the quarter
        ends reuse the monthly path's weights)."""
        return (self.lookback, self.method)


def grid(
    lookbacks: Iterable[int],
    bands: Iterable[float],
    methods: Iterable[str],
    rebalances: Iterable[str],
    modes: Iterable[str | None] = (None,),
    fees: Iterable[str | None] = (None,),
) -> list[SweepPoint]:
    """The cartesian product, in a stable order."""
    return [
        SweepPoint(*p)
        for p in itertools.product(lookbacks, bands, methods, rebalances, modes, fees)
    ]


def point_options(point: SweepPoint, options):
    """The :class:`~rp_tui.services.backtest.BacktestOptions` of one point (no benchmarks)."""
    policy = replace(options.policy, band=point.band, frequency=point.rebalance)
    if point.mode is not None:
        policy = replace(policy, mode=point.mode)
    return replace(
        options,
        lookback=point.lookback,
        method=point.method,
        policy=policy,
        fees=point.fees or options.fees,
        benchmarks=(),
    )


_WORKER_SESSION: dict[tuple, object] = {}


def _session(config: str, prices: str | None):
    key = (config, prices)
    if key not in _WORKER_SESSION:  # once per worker process
        from rp_tui.services.session import open_session

        _WORKER_SESSION[key] = open_session(config, prices)
    return _WORKER_SESSION[key]


def _row(point: SweepPoint, result) -> dict:
    """The point's row: its statistics, or (``result`` an exception) the error's message."""
    if isinstance(result, Exception):
        return {**asdict(point), "error": str(result)}
    return {
        **asdict(point),
        **{k: result.stats[k] for k in STATS},
        "turnover": result.turnover,
        "fees_paid": result.fees_paid,
        "rebalances": len(result.rebalance_dates),
        "error": "",
    }


def run_chunk(
    points: list[SweepPoint],
    config: str,
    prices: str | None,
    options,
    cancelled: Callable[[], bool] | None = None,
) -> list[dict]:
    """Backtest ``points``, computing each distinct target path once; one row per point
    (statistics, or the error's message), in the order of ``points``.

    Args:
        points: any points; those with equal :attr:`SweepPoint.path_key` share a path.
        config, prices: the files the session is opened from (once per process).
        options: :class:`~rp_tui.services.backtest.BacktestOptions` common to all points.
        cancelled: polled between rebalances; True stops with ``BacktestCancelled``.
    """
    from rp_tui.domain.target_path import TargetPath
    from rp_tui.errors import UserError
    from rp_tui.services.backtest_runs import Targets, prepare, replay, strategy_path

    session = _session(config, prices)
    paths: dict[tuple, object] = {}  # path_key -> TargetPath, None (guard on) or the error
    rows: list[dict] = [{}] * len(points)
    together: dict[tuple, list] = {}  # points on one path that differ only in the band
    for i in sorted(range(len(points)), key=lambda i: _monthly_first(points[i])):
        point = points[i]
        try:
            prepared = prepare(session, point_options(point, options))
            if point.path_key not in paths:
                try:
                    paths[point.path_key] = _reused(point, prepared, paths) or strategy_path(
                        prepared, Targets(prepared.allocation_spec), None, cancelled
                    )
                except UserError as exc:
                    paths[point.path_key] = exc
            path = paths[point.path_key]
            if isinstance(path, UserError):
                raise path
            if isinstance(path, TargetPath):  # replayed below, with its band's neighbours
                together.setdefault((point.path_key, point.mode, point.fees), []).append(
                    (i, prepared)
                )
                continue
            result = replay(
                prepared, prepared.spec, Targets(prepared.allocation_spec), None, None, cancelled
            )
        except UserError as exc:
            result = exc
        rows[i] = _row(point, result)
    for (key, _, _), members in together.items():
        replayed = _replayed([prepared for _, prepared in members], paths[key], cancelled)
        for (i, _), result in zip(members, replayed, strict=True):
            rows[i] = _row(points[i], result)
    return rows


def _replayed(prepared: list, path, cancelled) -> list:
    """The replays on ``path`` of the points ``prepared``, in lockstep; when that fails,
    one by one, so each point's row carries its own error (a ``UserError`` in its place)."""
    from rp_tui.errors import UserError
    from rp_tui.services.backtest_runs import replay, replay_many

    try:
        return replay_many(prepared[0], [p.spec for p in prepared], path, cancelled)
    except UserError:
        pass
    results: list = []
    for p in prepared:
        try:
            results.append(replay(p, p.spec, None, path, None, cancelled))
        except UserError as exc:
            results.append(exc)
    return results


def _monthly_first(point: SweepPoint) -> int:
    return FREQUENCY_ORDER.get(point.rebalance, len(FREQUENCY_ORDER))


FREQUENCY_ORDER = {"weekly": 0, "monthly": 1, "quarterly": 2}


def _reused(point: SweepPoint, prepared, paths: dict):
    """The path of ``point`` taken from a path already computed on a finer calendar (every
    quarter end is a month end), or ``None``: the weights on a row depend on that row's
    window alone, so they are the same numbers. Not with the over-trading guard (no path)."""
    from rp_tui.domain.target_path import TargetPath, rebalance_rows

    spec = prepared.spec
    if spec.min_interval_days > 0:
        return None
    rows = None
    for key, path in paths.items():
        if key[:2] != point.path_key[:2] or not isinstance(path, TargetPath):
            continue
        if rows is None:
            history = prepared.history
            rows = rebalance_rows(
                history.dates,
                spec.frequency,
                spec.lookback,
                spec.sessions,
                spec.anchor,
                prepared.start,
            )
        at = np.searchsorted(path.rows, rows)
        if np.all(at < len(path.rows)) and np.array_equal(
            path.rows[np.minimum(at, len(path.rows) - 1)], rows
        ):
            return TargetPath(rows, path.weights[at], tuple(path.covariances[i] for i in at))
    return None


def run_point(point: SweepPoint, config: str, prices: str | None, options) -> dict:
    """Backtest one point (no benchmarks); a row of statistics, or the error's message."""
    return run_chunk([point], config, prices, options)[0]


def chunks(points: list[SweepPoint], workers: int) -> list[list[SweepPoint]]:
    """Points grouped by :attr:`SweepPoint.chunk_key` (their target paths computed once in
    the chunk), largest first; a group is split (each piece recomputing its paths) only when
    there are fewer than ``4 × workers`` groups, so every worker stays busy to the end."""
    groups: dict[tuple, list[SweepPoint]] = {}
    for point in points:
        groups.setdefault(point.chunk_key, []).append(point)
    pieces = max(1, math.ceil(4 * workers / max(len(groups), 1)))
    out = []
    for group in groups.values():
        size = max(1, math.ceil(len(group) / pieces))
        out.extend(group[i : i + size] for i in range(0, len(group), size))
    return sorted(out, key=len, reverse=True)


def rank(rows: list[dict], key: str) -> list[dict]:
    """Best first by ``key``; failed points last."""
    sign = 1.0 if key in LOWER_IS_BETTER else -1.0

    def order(r: dict) -> tuple:
        if r["error"]:
            return (True, 0.0)
        value = r.get(key, 0.0)
        return (False, math.inf if value != value else sign * value)  # NaN last

    return sorted(rows, key=order)


def mark_pareto(rows: list[dict]) -> list[dict]:
    """Set ``pareto`` on every row: True when no other point has a CAGR at least as high and
    a max drawdown at least as low, one of them strictly (the return/drawdown front).
    Failed points and NaN statistics are never on it. Returns ``rows``."""
    valid = [
        r
        for r in rows
        if not r["error"] and r["cagr"] == r["cagr"] and r["max_drawdown"] == r["max_drawdown"]
    ]
    for r in rows:
        r["pareto"] = False
    best, best_dd = -math.inf, None
    for r in sorted(valid, key=lambda r: (r["max_drawdown"], -r["cagr"])):
        if r["cagr"] > best or (r["cagr"] == best and r["max_drawdown"] == best_dd):
            r["pareto"] = True
            best, best_dd = r["cagr"], r["max_drawdown"]
    return rows


def _ignore_interrupts() -> None:
    """Pool workers leave Ctrl+C to the parent, which cancels and stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_sweep(
    points: list[SweepPoint],
    config: str,
    prices: str | None,
    options,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    session=None,
) -> list[dict]:
    """Backtest every point; unranked rows in the order of ``points`` (chunks finish in any
    order: ranked rows that tie then still come out the same way at every run).

    Args:
        points: the grid. config, prices: paths every worker opens.
        options: :class:`rp_tui.services.backtest.BacktestOptions` shared by all points.
        workers: processes for a local run (default: all cores); with
            ``scheduler="local"``, the Dask ``LocalCluster``'s worker processes.
        scheduler: a Dask scheduler address (``tcp://host:port``), or ``"local"`` for a
            Dask ``LocalCluster`` on this machine, to run on instead of a process pool.
        progress: called with (points done, total) as chunks finish.
        session: the :class:`~rp_tui.services.session.Session` the caller opened from
            ``config`` and ``prices``: pool workers forked from this process start with it
            (~70 ms each, a tenth of a worker's first chunk); other workers open their own.

    Raises:
        UserError: ``scheduler`` given but Dask distributed is not installed.
        KeyboardInterrupt: Ctrl+C; pending work is cancelled and the workers stopped first.
    """
    workers = workers or os.cpu_count() or 1
    if scheduler:
        from rp_tui.services.sweep_dask import run_on_dask

        rows = run_on_dask(
            points, run_chunk, chunks, config, prices, options, workers, scheduler, progress
        )
        return _in_order(points, rows)
    from concurrent.futures import ProcessPoolExecutor, as_completed

    total, rows = len(points), []
    if session is not None:  # for the workers forked below, and only for them: see finally
        _WORKER_SESSION[(config, prices)] = session
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_interrupts)
    try:
        futures = [
            pool.submit(run_chunk, chunk, config, prices, options)
            for chunk in chunks(points, workers)
        ]
        for future in as_completed(futures):
            rows.extend(future.result())
            if progress:
                progress(len(rows), total)
    except BaseException:  # Ctrl+C or a failure: nothing keeps running behind us
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=5)
        raise
    finally:  # a later sweep from this process opens the files as they are then
        if session is not None:
            _WORKER_SESSION.pop((config, prices), None)
    pool.shutdown()
    return _in_order(points, rows)


def _in_order(points: list[SweepPoint], rows: list[dict]) -> list[dict]:
    """``rows`` (one per point, as ``asdict(point)`` plus results) in the order of ``points``."""
    at = {astuple(p): i for i, p in enumerate(points)}
    names = [f.name for f in fields(SweepPoint)]
    return sorted(rows, key=lambda r: at[tuple(r[n] for n in names)])
