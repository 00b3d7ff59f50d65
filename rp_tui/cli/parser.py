"""The ``rp-tui`` argument parser: every subcommand and option, with no heavy import.

``rp-tui --help`` imports only this module (no numpy, pandas, scipy or textual).
"""

from __future__ import annotations

import argparse

from rp_tui import __version__
from rp_tui.cli.arg_types import iso_date, ranged
from rp_tui.cli.option_groups import (
    RANK_KEYS,
    backtest_options,
    cash_flow_options,
    policy_options,
)
from rp_tui.cli.schedule_command import add_schedule_parsers
from rp_tui.domain.names import METHODS
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
