"""Command line: ``rp-tui`` opens the TUI; ``weights``, ``plan`` and ``backtest`` run headless.

Headless commands use the same services as the TUI (:mod:`rp_tui.services`). Heavy modules
(numpy, pandas, scipy, textual) are imported only inside the command that needs them, so
``rp-tui --help`` stays fast. Exit codes: 0 done, 2 bad input (message on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from rp_tui import __version__
from rp_tui.domain.names import FEE_PLANS, FREQUENCIES, METHODS


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be an integer ≥ 2, got {text}")
    return value


def _listed(choices: tuple[str, ...]):
    def parse(text: str) -> tuple[str, ...]:
        values = tuple(v.strip() for v in text.split(",") if v.strip())
        bad = [v for v in values if v not in choices]
        if bad or not values:
            raise argparse.ArgumentTypeError(
                f"{', '.join(bad) or text!r}: choose from {', '.join(choices)}"
            )
        return values

    return parse


def _listed_numbers(kind: type):
    def parse(text: str) -> tuple:
        try:
            return tuple(kind(v) for v in text.split(",") if v.strip())
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list") from exc

    return parse


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _common(suppress: bool) -> argparse.ArgumentParser:
    """Options every command takes; subcommands SUPPRESS defaults so either place works."""
    default = argparse.SUPPRESS if suppress else None
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--config",
        metavar="FILE",
        default=argparse.SUPPRESS if suppress else "portfolio.toml",
        help="portfolio file (default: ./portfolio.toml)",
    )
    parent.add_argument(
        "--prices",
        metavar="CSV",
        default=default,
        help="price history: Date column (ISO), then adjusted closes per symbol "
        "(default: the bundled iShares factor ETFs, 2014-2022)",
    )
    return parent


def build_parser() -> argparse.ArgumentParser:
    """The ``rp-tui`` argument parser (no heavy imports)."""
    parser = argparse.ArgumentParser(
        prog="rp-tui",
        description="Risk-parity ETF portfolios at Interactive Brokers: a terminal app, "
        "and headless commands for scripts and cron.",
        parents=[_common(suppress=False)],
    )
    parser.add_argument("--version", action="version", version=f"rp-tui {__version__}")
    parser.add_argument("--broker", choices=("demo", "ibkr"), help="default: [broker] kind")
    parser.add_argument("--host", help="TWS / IB Gateway host (default: [broker] host)")
    parser.add_argument("--port", type=int, help="7497 TWS paper, 4002 Gateway paper")
    parser.add_argument("--client-id", type=int, help="API client id (default: config)")
    parser.add_argument(
        "--reset-demo",
        action="store_true",
        help="restore the seeded demo account (positions and cash) and exit",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = _common(suppress=True)

    def output(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--format",
            choices=("text", "json"),
            default="text",
            help="json prints one JSON document on stdout and nothing else",
        )

    weights = commands.add_parser(
        "weights",
        parents=[common],
        help="target weights and risk contributions",
        description="Target weights from the covariance of the last LOOKBACK daily returns.",
    )
    weights.add_argument("--method", choices=METHODS, help="allocation method (default: config)")
    weights.add_argument(
        "--lookback",
        type=_positive_int,
        metavar="N",
        help="daily returns in the covariance window (default: config)",
    )
    weights.add_argument("--as-of", metavar="DATE", help="ISO date (default: last in history)")
    output(weights)

    def broker_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--broker", choices=("demo", "ibkr"), help="default: [broker] kind")
        sub.add_argument("--host", help="TWS / IB Gateway host (default: [broker] host)")
        sub.add_argument("--port", type=int, help="7497 TWS paper, 4002 Gateway paper")
        sub.add_argument("--client-id", type=int, help="API client id (default: config)")

    plan = commands.add_parser(
        "plan",
        parents=[common],
        help="positions, drift and the fee-inclusive orders",
        description="Size the orders that bring the account to its targets. Sends nothing "
        "(an IBKR connection is read-only).",
    )
    broker_options(plan)
    output(plan)

    rebalance = commands.add_parser(
        "rebalance",
        parents=[common],
        help="plan, and with --execute send the orders",
        description="Without --execute a dry run: prints the plan, sends nothing. With "
        "--execute, asks for confirmation (or --yes), sends sells first, then buys. Exit "
        "codes: 0 done, 1 some orders failed or remain open, 2 bad input or refused.",
    )
    broker_options(rebalance)
    rebalance.add_argument("--execute", action="store_true", help="send the orders")
    rebalance.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    rebalance.add_argument(
        "--confirm-live",
        metavar="ACCOUNT",
        help="a live (non-paper) account's id, typed as confirmation",
    )
    rebalance.add_argument(
        "--run-key",
        metavar="KEY",
        help="send orders at most once per KEY (e.g. 2026-11 for a monthly cron job)",
    )
    output(rebalance)

    risk = commands.add_parser(
        "risk",
        parents=[common],
        help="risk contributions, diversification, VaR and CVaR",
        description="Risk of the account as held and of its targets: volatility, marginal "
        "and total risk contributions, diversification ratio, effective number of bets, and "
        "VaR / CVaR at 95 and 99 % over 1 day and 1 month (historical, parametric, Monte "
        "Carlo from a Gaussian mixture).",
    )
    broker_options(risk)
    risk.add_argument("--paths", type=int, default=5_000, help="Monte Carlo paths (5000)")
    risk.add_argument("--seed", type=int, default=0, help="Monte Carlo seed (0)")
    output(risk)

    backtest = commands.add_parser(
        "backtest",
        parents=[common],
        help="replay the rules over the price history",
        description="Rebalance at the close of the last trading day of each period.",
    )
    backtest_options(backtest)
    backtest.add_argument(
        "--out",
        metavar="DIR",
        help="also write equity.csv, weights.csv, trades.csv, stats.json, report.html to DIR",
    )
    output(backtest)

    sweep = commands.add_parser(
        "sweep",
        parents=[common],
        help="backtest a grid of lookback x band x method x calendar, ranked",
        description="Every combination of the comma-separated values, run on all cores "
        "(or on a Dask cluster with --scheduler); the table is ranked by --rank.",
    )
    backtest_options(sweep, grid=True)
    sweep.add_argument("--rank", default="sharpe", choices=RANK_KEYS, help="default: sharpe")
    sweep.add_argument("--workers", type=int, help="processes (default: all cores)")
    sweep.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler, host:port")
    sweep.add_argument("--out", metavar="FILE", help="also save the ranked table as CSV")
    output(sweep)
    return parser


RANK_KEYS = ("sharpe", "cagr", "calmar", "sortino", "volatility", "max_drawdown", "turnover")


def backtest_options(backtest: argparse.ArgumentParser, grid: bool = False) -> None:
    """Options shared by ``backtest`` and ``sweep`` (``grid``: comma-separated lists)."""
    listed = "comma-separated list, " if grid else ""
    backtest.add_argument("--start", metavar="DATE", help="first rebalance on or after DATE")
    backtest.add_argument("--end", metavar="DATE", help="use prices up to DATE")
    if grid:
        backtest.add_argument(
            "--rebalance",
            type=_listed(FREQUENCIES),
            help=f"{listed}of {', '.join(FREQUENCIES)} (default: config)",
        )
        backtest.add_argument(
            "--method",
            type=_listed(METHODS),
            help=f"{listed}of {', '.join(METHODS)} (default: config)",
        )
        backtest.add_argument(
            "--lookback",
            type=_listed_numbers(int),
            metavar="N,…",
            help="daily returns per covariance window (default: config)",
        )
        backtest.add_argument(
            "--band",
            type=_listed_numbers(float),
            metavar="B,…",
            help="drift bands, fractions (default: config)",
        )
    else:
        backtest.add_argument("--rebalance", choices=FREQUENCIES, help="default: config")
        backtest.add_argument("--method", choices=METHODS, help="default: config")
        backtest.add_argument(
            "--lookback",
            type=_positive_int,
            metavar="N",
            help="daily returns per covariance window (default: config)",
        )
        backtest.add_argument(
            "--band", type=float, metavar="B", help="drift band, a fraction (default: config)"
        )
    backtest.add_argument(
        "--anchor",
        choices=("last", "first"),
        default="last",
        help="trade on the last (default) or first trading day of a period",
    )
    backtest.add_argument(
        "--relative-band",
        action="store_true",
        help="read --band as a fraction of each target, not of NAV",
    )
    backtest.add_argument(
        "--rebalance-all",
        action="store_true",
        help="once one asset leaves its band, trade all back to target",
    )
    backtest.add_argument(
        "--mode",
        choices=("full", "buy-only"),
        default="full",
        help="buy-only: never sell, spend cash on the most underweight",
    )
    backtest.add_argument(
        "--contribution",
        type=float,
        default=0.0,
        metavar="X",
        help="cash added each period (negative: withdrawn), base currency",
    )
    backtest.add_argument(
        "--contribution-frequency", choices=FREQUENCIES, help="default: the rebalance frequency"
    )
    backtest.add_argument(
        "--min-trade",
        type=float,
        default=0.0,
        metavar="X",
        help="skip trades smaller than X (base currency)",
    )
    backtest.add_argument(
        "--max-commission-ratio",
        type=float,
        default=float("inf"),
        metavar="F",
        help="skip a trade whose commission exceeds F of its value",
    )
    backtest.add_argument(
        "--slippage-bp",
        type=float,
        default=0.0,
        metavar="BP",
        help="fills this many basis points worse than the close",
    )
    backtest.add_argument(
        "--fx",
        metavar="CSV",
        help="FX rates for listings in other "
        "currencies: Date, then base currency per unit of each currency",
    )
    backtest.add_argument(
        "--calendar",
        metavar="MIC",
        help="exchange calendar (XNYS, XLON…) or 'file' for the price dates",
    )
    backtest.add_argument(
        "--benchmark",
        action="append",
        metavar="NAME",
        help="equal-weight (default), buy-and-hold, or a symbol of the price file; repeatable",
    )
    backtest.add_argument("--fees", choices=FEE_PLANS, help="commission model (default: config)")
    backtest.add_argument(
        "--fractional", action="store_true", help="trade fractional shares (default: whole shares)"
    )
    backtest.add_argument(
        "--capital",
        type=_positive_float,
        default=100_000.0,
        metavar="X",
        help="starting cash in base currency (default: 100000)",
    )


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    lines = [header, *rows]
    return "\n".join(
        "  ".join(
            str(v).ljust(w) if i == 0 else str(v).rjust(w)
            for i, (v, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    )


def _weights(args: argparse.Namespace) -> dict:
    from rp_tui.services import compute_targets, open_session

    session = open_session(args.config, args.prices, getattr(args, "broker", None))
    targets = compute_targets(session, args.method, args.lookback, args.as_of)
    if args.format == "text":
        rows = [
            [s, f"{w:.2%}", f"{rc:.2%}"]
            for s, w, rc in zip(
                targets.symbols, targets.weights, targets.risk_contributions, strict=True
            )
        ]
        print(f"{targets.method} weights as of {targets.as_of}, lookback {targets.lookback} days")
        print(_table(rows, ["symbol", "weight", "risk contribution"]))
    return targets.to_json()


def _broker(session, args: argparse.Namespace, read_only: bool):
    from rp_tui.services import make_broker

    overrides = {"host": args.host, "port": args.port, "client_id": args.client_id}
    kind = args.broker or session.portfolio.broker.kind
    if kind == "ibkr":
        overrides["read_only"] = read_only or None  # True forces read-only; None: config
    return make_broker(session, kind, **overrides)


def _print_plan(plan) -> None:
    ccy = plan.base_currency
    print(
        f"{plan.broker} account {plan.account} as of {plan.as_of}: NAV {plan.nav:,.2f} "
        f"{ccy}, cash {plan.cash:,.2f} {ccy}; {plan.method}, lookback {plan.lookback}, "
        f"band ±{plan.band:.1%}"
    )
    print(
        _table(
            [
                [
                    p.symbol,
                    f"{p.quantity:g}",
                    f"{p.price:,.2f}",
                    f"{p.value:,.2f}",
                    f"{p.weight:.2%}",
                    f"{p.target:.2%}",
                    f"{p.drift * 100:+.2f} pp",
                ]
                for p in plan.positions
            ],
            ["symbol", "qty", "price", "value", "weight", "target", "drift"],
        )
    )
    for reason in plan.blocked.values():
        print(f"blocked: {reason}")
    print()
    if not plan.orders:
        print("no orders: every asset is within its band, or there is no cash to buy with")
    else:
        print(
            _table(
                [
                    [
                        o.side,
                        o.symbol,
                        f"{o.quantity:g}",
                        f"{o.price:,.2f}",
                        f"{o.notional:,.2f}",
                        f"{o.commission:,.2f}",
                        o.currency,
                    ]
                    for o in plan.orders
                ],
                ["side", "symbol", "qty", "price", "notional", "commission", "ccy"],
            )
        )
    print(f"commission {plan.total_commission:,.2f} {ccy}; cash after {plan.cash_after:,.2f} {ccy}")


def _plan(args: argparse.Namespace) -> dict:
    import asyncio

    from rp_tui.services import build_plan, open_session

    session = open_session(args.config, args.prices, getattr(args, "broker", None))
    broker = _broker(session, args, read_only=True)
    try:
        plan = asyncio.run(build_plan(session, broker))
    finally:
        getattr(broker, "disconnect", lambda: None)()
    if args.format == "text":
        _print_plan(plan)
    return plan.to_json()


def _run_done(key: str) -> bool:
    """Whether a ``rebalance --execute --run-key KEY`` already sent its orders."""
    from rp_tui.broker.trade_log import TradeLog

    return any(r.get("event") == "run_done" and r.get("run_key") == key for r in TradeLog().read())


class _Exit(Exception):
    """Carries a document and a non-zero exit code out of a command."""

    def __init__(self, doc: dict, code: int):
        super().__init__(code)
        self.doc, self.code = doc, code


def _rebalance(args: argparse.Namespace) -> dict:
    import asyncio
    from dataclasses import asdict

    from rp_tui.errors import UserError
    from rp_tui.services import build_plan, execute_plan, open_session

    session = open_session(args.config, args.prices, getattr(args, "broker", None))
    broker = _broker(session, args, read_only=not args.execute)

    async def run() -> tuple[object, list]:
        plan = await build_plan(session, broker)
        if args.format == "text":
            _print_plan(plan)
        if not args.execute or not plan.orders:
            return plan, []
        if args.run_key and _run_done(args.run_key):
            if args.format == "text":
                print(f"run key {args.run_key} already executed: nothing was sent")
            raise _Exit(
                {
                    **plan.to_json(),
                    "dry_run": True,
                    "fills": [],
                    "skipped": f"run key {args.run_key} already executed",
                },
                0,
            )
        if not args.yes:
            if not sys.stdin.isatty():
                raise UserError("refusing to send orders without confirmation: add --yes")
            answer = input(f"send {len(plan.orders)} orders to {plan.account}? type yes: ")
            if answer.strip().lower() != "yes":
                raise UserError("not confirmed: nothing was sent")
        fills = await execute_plan(broker, plan, typed_confirmation=args.confirm_live or "")
        if args.run_key:
            from rp_tui.broker.trade_log import TradeLog

            TradeLog().append("run_done", run_key=args.run_key, statuses=[f.status for f in fills])
        return plan, fills

    from contextlib import nullcontext

    from rp_tui.instance import single_instance

    guard = single_instance("rebalancing") if args.execute else nullcontext()
    try:
        with guard:
            plan, fills = asyncio.run(run())
    finally:
        getattr(broker, "disconnect", lambda: None)()
    doc = {**plan.to_json(), "dry_run": not args.execute, "fills": [asdict(f) for f in fills]}
    if args.format == "text":
        if not args.execute:
            print("dry run: nothing was sent (add --execute to send)")
        for f in fills:
            note = f" ({f.message})" if f.message else ""
            print(
                f"{f.status:>9} {f.side} {f.quantity:g}/{f.quantity + f.remaining:g} "
                f"{f.symbol} @ {f.price:,.2f}, commission {f.commission:,.2f}{note}"
            )
    if any(f.status != "filled" for f in fills):
        raise _Exit(doc, 1)
    return doc


def _backtest_options(args: argparse.Namespace, **overrides):
    from rp_tui.services import BacktestOptions

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


def _backtest(args: argparse.Namespace) -> dict:
    from rp_tui.services import backtest, open_session, write_backtest_outputs

    session = open_session(args.config, args.prices, getattr(args, "broker", None))
    options = _backtest_options(args)
    report = backtest(session, options)
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


def _risk(args: argparse.Namespace) -> dict:
    import asyncio

    from rp_tui.services import open_session, risk_report

    session = open_session(args.config, args.prices, args.broker)
    broker = _broker(session, args, read_only=True)
    try:
        report = asyncio.run(risk_report(session, broker, args.paths, args.seed))
    finally:
        getattr(broker, "disconnect", lambda: None)()
    doc = report.to_json()
    if args.format == "text":
        print(f"risk as of {report.as_of}: {report.method}, lookback {report.lookback} days")
        print(
            _table(
                [
                    [
                        a["symbol"],
                        f"{a['weight']:.2%}",
                        f"{a['target']:.2%}",
                        f"{a['volatility']:.2%}",
                        f"{a['risk_contribution_current']:.2%}",
                        f"{a['risk_contribution_target']:.2%}",
                        f"{a['marginal_risk_current']:.2%}",
                    ]
                    for a in doc["assets"]
                ],
                ["symbol", "weight", "target", "vol", "RC now", "RC target", "marginal"],
            )
        )
        for name in ("current", "target"):
            p = doc["portfolio"][name]
            print(
                f"{name:>7}: volatility {p['volatility']:.2%}, diversification ratio "
                f"{p['diversification_ratio']:.2f}, effective bets {p['effective_bets']:.2f}"
                f" (PCA {p['effective_bets_pca']:.2f})"
            )
        print(
            _table(
                [
                    [
                        v["method"],
                        f"{v['confidence']:.0%}",
                        f"{v['horizon_days']}d",
                        f"{v['var']:.2%}",
                        f"{v['cvar']:.2%}",
                    ]
                    for v in doc["var"]
                ],
                ["method", "conf.", "horizon", "VaR", "CVaR"],
            )
        )
    return doc


def _sweep(args: argparse.Namespace) -> dict | list:
    import csv
    import os

    from rp_tui.services import open_session
    from rp_tui.sweep import grid, rank, run_sweep

    session = open_session(args.config, args.prices)  # validates before any worker starts
    s = session.portfolio.strategy
    points = grid(
        args.lookback or (s.lookback,),
        args.band or (s.band,),
        args.method or (s.method,),
        args.rebalance or (s.rebalance,),
    )
    options = _backtest_options(
        args, benchmarks=(), lookback=None, band=None, method=None, rebalance=None
    )
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
        from io import StringIO

        from rp_tui.paths import atomic_write_text

        buffer = StringIO()
        writer = csv.DictWriter(
            buffer, ["rank", *columns], extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows({"rank": i + 1, **row} for i, row in enumerate(rows))
        atomic_write_text(Path(args.out), buffer.getvalue())
    if args.format == "text":
        print(f"{len(rows)} backtests ranked by {args.rank}")
        print(
            _table(
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


def _reset_demo(args: argparse.Namespace) -> int:
    from rp_tui.broker.demo import DemoBroker
    from rp_tui.services import open_session

    session = open_session(args.config, args.prices, getattr(args, "broker", None))
    broker = DemoBroker(session.history, session.fees, session.portfolio.base_currency)
    state = broker.reset()
    print(
        f"demo account {state['account']} reset: cash {state['cash']:,.2f} "
        f"{state['base_currency']}, bought {state['seeded_on']}; saved to {broker.path}"
    )
    return 0


def _run_tui(args: argparse.Namespace) -> int:
    from rp_tui.services import open_session

    session = open_session(args.config, args.prices, getattr(args, "broker", None))
    broker = _broker(session, args, read_only=False)
    from rp_tui.instance import single_instance
    from rp_tui.ui.app import run_app

    try:
        with single_instance("running the app"):
            run_app(session, broker)
    finally:
        getattr(broker, "disconnect", lambda: None)()
    return 0


COMMANDS = {
    "weights": _weights,
    "plan": _plan,
    "rebalance": _rebalance,
    "risk": _risk,
    "backtest": _backtest,
    "sweep": _sweep,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rp-tui`` script; returns the exit code."""
    args = build_parser().parse_args(argv)
    from rp_tui.errors import UserError

    try:
        if args.command is None:
            return _reset_demo(args) if args.reset_demo else _run_tui(args)
        code = 0
        try:
            doc = COMMANDS[args.command](args)
        except _Exit as exit_:
            doc, code = exit_.doc, exit_.code
        if args.format == "json":
            json.dump(doc, sys.stdout, indent=2, allow_nan=False)
            sys.stdout.write("\n")
        return code
    except UserError as exc:
        print(f"rp-tui: error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # e.g. NaN statistics that JSON cannot carry
        print(f"rp-tui: error: {exc}", file=sys.stderr)
        return 2
