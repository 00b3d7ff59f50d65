"""``rp-tui backtest``: the configured strategy replayed over the price history."""

from __future__ import annotations

import argparse

from rp_tui.cli.common import open_from_args


def options_from_args(args: argparse.Namespace, **overrides):
    """The :class:`~rp_tui.services.backtest.BacktestOptions` of the arguments, then
    ``overrides``."""
    from rp_tui.services.backtest import BacktestOptions

    fields = dict(
        start=args.start,
        end=args.end,
        rebalance=args.rebalance,
        method=args.method,
        lookback=args.lookback,
        fees=args.fees,
        fractional=args.fractional,
        capital=args.capital,
        anchor=args.anchor,
        band=args.band,
        relative_band=args.relative_band,
        rebalance_all=args.rebalance_all,
        mode=args.mode,
        contribution=args.contribution,
        contribution_frequency=args.contribution_frequency,
        min_trade=args.min_trade,
        max_commission_ratio=args.max_commission_ratio,
        slippage_bp=args.slippage_bp,
        calendar=args.calendar,
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
    report = backtest(session, options)
    warn_if_never_traded(report, options)
    if args.out:
        write_backtest_outputs(report, args.out)
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
    return doc
