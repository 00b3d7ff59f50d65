"""Option groups several ``rp-tui`` subcommands share: the backtest options (``backtest``,
``sweep``), the ``[rebalancing]`` overrides (``plan``, ``rebalance``, ``backtest``, ``sweep``)
and the cash flow (``plan``, ``rebalance``), with the readers that turn them into values.

No heavy import: ``rp-tui --help`` builds these groups.
"""

from __future__ import annotations

import argparse

from rp_tui.cli.arg_types import benchmark, iso_date, listed, listed_ranged, ranged
from rp_tui.domain.names import ANCHORS, FEE_PLANS, FREQUENCIES, METHODS, MODES

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
