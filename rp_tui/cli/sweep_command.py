"""``rp-tui sweep``: backtests of a grid of lookback × band × method × calendar (× mode × fee
plan), ranked by one statistic, with the return/drawdown Pareto front marked."""

from __future__ import annotations

import argparse
import csv
import os
from io import StringIO
from pathlib import Path

from rp_tui.cli.backtest_command import options_from_args
from rp_tui.cli.render import table

COLUMNS = [
    "method",
    "rebalance",
    "lookback",
    "band",
    "cagr",
    "volatility",
    "sharpe",
    "max_drawdown",
    "turnover",
    "fees_paid",
    "mode",
    "fees",
    "pareto",
    "error",
]


def run(args: argparse.Namespace) -> list:
    """Backtest every point of the grid, ranked; ``--out`` saves the table as CSV."""
    from rp_tui.cli.checks import check_capital, check_dates, check_period
    from rp_tui.cli.progress import progress_bar
    from rp_tui.services.session import open_session
    from rp_tui.services.sweep import grid, mark_pareto, rank, run_sweep
    from rp_tui.state.storage import check_writable

    check_period(args)
    if args.out:
        check_writable(args.out, directory=False)  # before the work, not after
    session = open_session(args.config, args.prices)  # validates before any worker starts
    check_dates(session.history, args.start, args.end)
    s, policy = session.portfolio.strategy, session.portfolio.rebalancing
    points = grid(
        args.lookback or (s.lookback,),
        args.band or (policy.band,),
        args.method or (s.method,),
        args.rebalance or (policy.frequency,),
        args.mode or (None,),
        args.fees or (None,),
    )
    options = options_from_args(args, benchmarks=(), lookback=None, method=None, fees=None)
    check_capital(session, options, min(p.lookback for p in points))
    where = args.scheduler or f"{args.workers or os.cpu_count()} processes"
    with progress_bar(f"{len(points)} backtests on {where}", args.format) as advance:
        rows = run_sweep(
            points,
            os.path.abspath(args.config),
            args.prices and os.path.abspath(args.prices),
            options,
            args.workers,
            args.scheduler,
            lambda done, total: advance(done, total),
            session,
        )
    rows = rank(mark_pareto(rows), args.rank)
    if args.out:
        _write_csv(rows, args.out)
    if args.format == "text":
        _print_table(rows, args.rank)
    return rows


def _write_csv(rows: list[dict], out: str) -> None:
    from rp_tui.state.storage import atomic_write_text, output_error

    buffer = StringIO()
    writer = csv.DictWriter(buffer, ["rank", *COLUMNS], extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows({"rank": i + 1, **row} for i, row in enumerate(rows))
    try:
        atomic_write_text(Path(out), buffer.getvalue())
    except OSError as exc:
        raise output_error("--out", Path(out), exc) from exc


def _print_table(rows: list[dict], key: str) -> None:
    front = sum(1 for r in rows if r.get("pareto"))
    print(
        f"{len(rows)} backtests ranked by {key}; * = on the return/drawdown Pareto front "
        f"({front} points: no other has a higher CAGR with a lower max drawdown)"
    )
    varied = [c for c in ("mode", "fees") if any(r.get(c) for r in rows)]
    print(
        table(
            [
                [
                    str(i + 1) + ("*" if r.get("pareto") else ""),
                    r["method"],
                    r["rebalance"],
                    str(r["lookback"]),
                    f"{r['band']:.3f}",
                    *(str(r.get(c) or "config") for c in varied),
                    *(
                        ("—",) * 6
                        if r["error"]
                        else (
                            f"{r['cagr']:.2%}",
                            f"{r['volatility']:.2%}",
                            f"{r['sharpe']:.2f}",
                            f"{r['max_drawdown']:.2%}",
                            f"{r['turnover']:.1%}",
                            f"{r['fees_paid']:,.0f}",
                        )
                    ),
                ]
                for i, r in enumerate(rows[:40])
            ],
            [
                "#",
                "method",
                "calendar",
                "lookback",
                "band",
                *varied,
                "CAGR",
                "vol",
                "Sharpe",
                "max DD",
                "turnover",
                "fees",
            ],
        )
    )
    failed = [r for r in rows if r["error"]]
    if failed:
        print(f"{len(failed)} failed, e.g.: {failed[0]['error']}")
