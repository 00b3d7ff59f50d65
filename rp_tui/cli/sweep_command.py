"""``rp-tui sweep``: backtests of a grid of lookback × band × method × calendar, ranked."""

from __future__ import annotations

import argparse
import csv
import os
import sys
from io import StringIO
from pathlib import Path

from rp_tui.cli.backtest_command import options_from_args
from rp_tui.cli.render import table


def run(args: argparse.Namespace) -> list:
    """Backtest every point of the grid, ranked; ``--out`` saves the table as CSV."""
    from rp_tui.cli.checks import check_capital, check_dates, check_period
    from rp_tui.services.session import open_session
    from rp_tui.services.sweep import grid, rank, run_sweep
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
    )
    options = options_from_args(args, benchmarks=(), lookback=None, method=None)
    check_capital(session, options, min(p.lookback for p in points))
    show = args.format == "text" and sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if show:
            bar = "#" * (30 * done // total)
            print(f"\r[{bar:<30}] {done}/{total}", end="", file=sys.stderr, flush=True)

    rows = rank(
        run_sweep(
            points,
            os.path.abspath(args.config),
            args.prices and os.path.abspath(args.prices),
            options,
            args.workers,
            args.scheduler,
            progress,
        ),
        args.rank,
    )
    if show:
        print(file=sys.stderr)
    columns = [
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
        "error",
    ]
    if args.out:
        from rp_tui.state.storage import atomic_write_text, output_error

        buffer = StringIO()
        writer = csv.DictWriter(
            buffer, ["rank", *columns], extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows({"rank": i + 1, **row} for i, row in enumerate(rows))
        try:
            atomic_write_text(Path(args.out), buffer.getvalue())
        except OSError as exc:
            raise output_error("--out", Path(args.out), exc) from exc
    if args.format == "text":
        print(f"{len(rows)} backtests ranked by {args.rank}")
        print(
            table(
                [
                    [
                        str(i + 1),
                        r["method"],
                        r["rebalance"],
                        str(r["lookback"]),
                        f"{r['band']:.3f}",
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
    return rows
