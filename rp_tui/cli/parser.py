"""The ``rp-tui`` argument parser: every subcommand and option, with no heavy import.

``rp-tui --help`` imports only this module (no numpy, pandas, scipy or textual).
"""

from __future__ import annotations

import argparse

from rp_tui import __version__
from rp_tui.cli.arg_types import benchmark, iso_date, listed, listed_ranged, ranged
from rp_tui.cli.schedule_command import add_schedule_parsers
from rp_tui.domain.names import ANCHORS, FEE_PLANS, FREQUENCIES, METHODS, MODES
from rp_tui.inputs.config_rules import BROKER_KINDS

_PORT, _CLIENT_ID = ranged("broker.port", int), ranged("broker.client_id", int)


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
        "(default: the bundled set holding the portfolio's symbols)",
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
    parser.add_argument("--broker", choices=BROKER_KINDS, help="default: [broker] kind")
    parser.add_argument("--host", help="TWS / IB Gateway host (default: [broker] host)")
    parser.add_argument("--port", type=_PORT, help="7497 TWS paper, 4002 Gateway paper")
    parser.add_argument("--client-id", type=_CLIENT_ID, help="API client id (default: config)")
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

    init = commands.add_parser(
        "init",
        help="write a commented starter portfolio.toml",
        description="Write one of the shipped example portfolios, every key commented: "
        "multi-asset (stocks and bonds, the default) or factor-etfs.",
    )
    init.add_argument("path", nargs="?", default="portfolio.toml", help="file or directory")
    init.add_argument(
        "--example",
        choices=("multi-asset", "factor-etfs"),
        default="multi-asset",
        help="which example (default: multi-asset)",
    )
    init.add_argument("--force", action="store_true", help="replace an existing file")
    output(init)

    weights = commands.add_parser(
        "weights",
        parents=[common],
        help="target weights and risk contributions",
        description="Target weights from the covariance of the last LOOKBACK daily returns.",
    )
    weights.add_argument("--method", choices=METHODS, help="allocation method (default: config)")
    weights.add_argument(
        "--lookback",
        type=ranged("strategy.lookback", int),
        metavar="N",
        help="daily returns in the covariance window (default: config)",
    )
    weights.add_argument(
        "--as-of", type=iso_date, metavar="DATE", help="ISO date (default: last in history)"
    )
    output(weights)

    def broker_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--broker", choices=BROKER_KINDS, help="default: [broker] kind")
        sub.add_argument("--host", help="TWS / IB Gateway host (default: [broker] host)")
        sub.add_argument("--port", type=_PORT, help="7497 TWS paper, 4002 Gateway paper")
        sub.add_argument("--client-id", type=_CLIENT_ID, help="API client id (default: config)")

    plan = commands.add_parser(
        "plan",
        parents=[common],
        help="positions, drift and the fee-inclusive orders",
        description="Size the orders that bring the account to its targets. Sends nothing "
        "(an IBKR connection is read-only).",
    )
    broker_options(plan)
    cash_flow_options(plan)
    policy_options(plan)
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
    cash_flow_options(rebalance)
    policy_options(rebalance)
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
    risk.add_argument(
        "--paths", type=ranged("risk.paths", int), default=5_000, help="Monte Carlo paths (5000)"
    )
    risk.add_argument(
        "--seed", type=ranged("risk.seed", int), default=0, help="Monte Carlo seed (0)"
    )
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
    sweep.add_argument(
        "--workers", type=ranged("sweep.workers", int), help="processes (default: all cores)"
    )
    sweep.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a Dask scheduler, tcp://host:port, or 'local' (a Dask LocalCluster of --workers)",
    )
    sweep.add_argument("--out", metavar="FILE", help="also save the ranked table as CSV")
    output(sweep)
    add_schedule_parsers(commands, common, broker_options, output)  # run, schedule
    return parser


RANK_KEYS = ("sharpe", "cagr", "calmar", "sortino", "volatility", "max_drawdown", "turnover")


def backtest_options(backtest: argparse.ArgumentParser, grid: bool = False) -> None:
    """Options shared by ``backtest`` and ``sweep`` (``grid``: comma-separated lists)."""
    comma = "comma-separated list, " if grid else ""
    backtest.add_argument(
        "--start", type=iso_date, metavar="DATE", help="first rebalance on or after DATE"
    )
    backtest.add_argument("--end", type=iso_date, metavar="DATE", help="use prices up to DATE")
    if grid:
        backtest.add_argument(
            "--rebalance",
            type=listed(FREQUENCIES),
            help=f"{comma}of {', '.join(FREQUENCIES)} (default: config)",
        )
        backtest.add_argument(
            "--method",
            type=listed(METHODS),
            help=f"{comma}of {', '.join(METHODS)} (default: config)",
        )
        backtest.add_argument(
            "--lookback",
            type=listed_ranged("strategy.lookback", int),
            metavar="N,…",
            help="daily returns per covariance window (default: config)",
        )
        backtest.add_argument(
            "--band",
            type=listed_ranged("rebalancing.band"),
            metavar="B,…",
            help="drift bands, fractions (default: config)",
        )
    else:
        backtest.add_argument("--method", choices=METHODS, help="default: config")
        backtest.add_argument(
            "--lookback",
            type=ranged("strategy.lookback", int),
            metavar="N",
            help="daily returns per covariance window (default: config)",
        )
    policy_options(backtest, grid)
    backtest.add_argument(
        "--contribution",
        type=ranged("backtest.contribution"),
        default=0.0,
        metavar="X",
        help="cash added each period (negative: withdrawn), base currency",
    )
    backtest.add_argument(
        "--contribution-frequency", choices=FREQUENCIES, help="default: the rebalance frequency"
    )
    backtest.add_argument(
        "--slippage-bp",
        type=ranged("backtest.slippage_bp"),
        metavar="BP",
        help="fills this many basis points worse than the close (default 0)",
    )
    backtest.add_argument(
        "--fx",
        metavar="CSV",
        help="FX rates for listings in other "
        "currencies: Date, then base currency per unit of each currency",
    )
    backtest.add_argument(
        "--benchmark",
        action="append",
        type=benchmark,
        metavar="NAME",
        help="equal-weight (default), buy-and-hold, a symbol of the price file (held), or a "
        "fixed mix such as SPY:0.6,AGG:0.4 (weights sum to 1); repeatable",
    )
    if grid:
        backtest.add_argument(
            "--fees",
            type=listed(FEE_PLANS),
            help=f"{comma}of {', '.join(FEE_PLANS)} (default: config)",
        )
    else:
        backtest.add_argument(
            "--fees", choices=FEE_PLANS, help="commission model (default: config)"
        )
    backtest.add_argument(
        "--capital",
        type=ranged("backtest.capital"),
        default=100_000.0,
        metavar="X",
        help="starting cash in base currency (default: 100000)",
    )


def cash_flow_options(sub: argparse.ArgumentParser) -> None:
    """``--deposit`` / ``--withdraw``: cash the plan spends or raises, base currency."""
    flow = sub.add_mutually_exclusive_group()
    flow.add_argument(
        "--deposit",
        type=ranged("plan.deposit"),
        metavar="X",
        help="cash arriving now, spent by the policy (buy-only: most underweight first)",
    )
    flow.add_argument(
        "--withdraw",
        type=ranged("plan.withdraw"),
        metavar="X",
        help="cash to raise, selling the most overweight first, fees included",
    )


def cash_flow(args: argparse.Namespace) -> float:
    """``--deposit X`` as +X, ``--withdraw X`` as −X, neither as 0 (base currency)."""
    return (getattr(args, "deposit", None) or 0.0) - (getattr(args, "withdraw", None) or 0.0)


def policy_options(sub: argparse.ArgumentParser, grid: bool = False) -> None:
    """Overrides of ``[rebalancing]`` (the policy the plan and the backtest share); each
    defaults to the file's value. ``grid``: ``--band`` and ``--rebalance`` come as lists."""
    group = sub.add_argument_group("rebalancing policy (default: [rebalancing] in the config)")
    if not grid:
        group.add_argument(
            "--rebalance",
            dest="frequency",
            choices=FREQUENCIES,
            help="how often a rebalance is due",
        )
        group.add_argument(
            "--band", type=ranged("rebalancing.band"), metavar="B", help="drift band, a fraction"
        )
    group.add_argument("--anchor", choices=ANCHORS, help="last or first trading day of a period")
    group.add_argument(
        "--calendar", metavar="MIC", help="exchange calendar (XNYS, XLON…) or 'file'"
    )
    group.add_argument(
        "--min-interval-days",
        type=ranged("rebalancing.min_interval_days", int),
        metavar="N",
        help="no rebalance within N days of the last one that traded (0 = off)",
    )
    group.add_argument(
        "--relative-band",
        dest="band_kind",
        action="store_const",
        const="relative",
        help="read the band as a fraction of each target, not of NAV",
    )
    group.add_argument(
        "--rebalance-all",
        dest="trade",
        action="store_const",
        const="all",
        help="once one asset leaves its band, trade all back to target",
    )
    group.add_argument(
        "--mode",
        **({"type": listed(MODES)} if grid else {"choices": MODES}),
        help=("comma-separated list; " if grid else "")
        + "buy-only never sells; sell-only only raises cash",
    )
    group.add_argument(
        "--min-trade",
        type=ranged("rebalancing.min_trade"),
        metavar="X",
        help="skip trades smaller than X (base currency)",
    )
    group.add_argument(
        "--max-commission-ratio",
        type=ranged("backtest.max_commission_ratio"),
        metavar="F",
        help="skip a trade whose commission exceeds F of its value",
    )
    group.add_argument(
        "--skip-uneconomic",
        action="store_const",
        const=True,
        help="skip a trade whose commission exceeds the drift cost it removes",
    )
    group.add_argument(
        "--cash-buffer",
        type=ranged("rebalancing.cash_buffer"),
        metavar="F",
        help="cash kept aside, a fraction of NAV",
    )
    group.add_argument(
        "--fractional",
        action="store_const",
        const=True,
        help="trade fractional shares (default: whole shares)",
    )


def policy_from_args(args: argparse.Namespace):
    """The :class:`~rp_tui.services.policy.PolicyOverrides` of the parsed arguments."""
    from rp_tui.services.policy import PolicyOverrides

    names = (
        "frequency",
        "anchor",
        "calendar",
        "min_interval_days",
        "band",
        "band_kind",
        "trade",
        "mode",
        "min_trade",
        "max_commission_ratio",
        "skip_uneconomic",
        "cash_buffer",
        "fractional",
        "slippage_bp",
    )
    values = {name: getattr(args, name, None) for name in names}
    for name in ("band", "mode"):
        if isinstance(values[name], tuple):  # a sweep's grid: each point sets its own
            values[name] = None
    return PolicyOverrides(**values)
