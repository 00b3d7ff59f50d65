"""``rp-tui backtest``: the configured strategy replayed over the price history."""

from __future__ import annotations

import argparse
import sys

from rp_tui.cli.common import open_from_args


def options_from_args(args: argparse.Namespace, **overrides):
    """The :class:`~rp_tui.services.backtest.BacktestOptions` of the arguments, then
    ``overrides``."""
    from rp_tui.cli.option_groups import policy_from_args
    from rp_tui.services.backtest import BacktestOptions

    fields = dict(
        start=args.start,
        end=args.end,
        method=args.method,
        lookback=args.lookback,
        fees=args.fees,
        capital=args.capital,
        contribution=args.contribution,
        contribution_frequency=args.contribution_frequency,
        policy=policy_from_args(args),
        benchmarks=tuple(args.benchmark or ("equal-weight",)),
        fx_path=args.fx,
    )
    fields.update(overrides)
    return BacktestOptions(**fields)


def run(args: argparse.Namespace) -> dict:
    """Backtest the configured strategy and its benchmarks; ``--out`` writes the files."""
    from rp_tui.cli.checks import check_capital, check_dates, check_period, warn_if_never_traded
    from rp_tui.services.backtest import backtest
    from rp_tui.services.backtest_files import write_backtest_outputs
    from rp_tui.state.storage import check_writable

    check_period(args)
    if args.out:
        check_writable(args.out, directory=True)  # before the work, not after
    session = open_from_args(args)
    options = options_from_args(args)
    check_dates(session.history, args.start, args.end)
    check_capital(session, options)
    from rp_tui.cli.progress import fraction_bar

    with fraction_bar("backtest", args.format) as step:
        report = backtest(session, options, step)
    warn_if_never_traded(report, options, session.portfolio)
    written = write_backtest_outputs(report, args.out) if args.out else []
    doc = report.to_json()
    if args.format == "text":
        s = doc["stats"]
        print(
            f"{report.method} {report.rebalance}, lookback {report.lookback}: "
            f"{doc['start']} .. {doc['end']}, {doc['rebalances']} rebalances"
        )
        print(
            f"final value {doc['final_value']:,.2f}  fees {doc['fees_paid']:,.2f}  "
            f"turnover {doc['turnover']:.1%}/yr"
        )
        print(
            f"CAGR {s['cagr']:.2%}  vol {s['volatility']:.2%}  Sharpe {s['sharpe']:.2f}  "
            f"Sortino {s['sortino']:.2f}  max DD {s['max_drawdown']:.2%}  "
            f"Calmar {s['calmar']:.2f}"
        )
        print(f"prices: {report.data_source}")
        if report.data_note:
            print(f"note: {report.data_note}")
        if report.fee_note:
            print(f"fees: {report.fee_note}")
    if written:
        where = f"wrote {', '.join(p.name for p in written)} to {written[0].parent}"
        print(where, file=sys.stderr if args.format == "json" else sys.stdout)
    return doc
