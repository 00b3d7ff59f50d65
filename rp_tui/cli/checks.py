"""Checks of options against each other and against the price history, made before a
command does any work; each refusal names the options, the dates or the amounts, and the fix.

Single values are checked as they are parsed (:mod:`rp_tui.cli.arg_types`).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from rp_tui.errors import UsageError


def check_period(args: argparse.Namespace) -> None:
    """``--start`` on or before ``--end``.

    Raises:
        UsageError: ``--start`` is after ``--end``.
    """
    if args.start and args.end and args.start > args.end:
        raise UsageError(
            f"--start {args.start} is after --end {args.end}: the period is empty; "
            "swap them or move one"
        )


def check_dates(history, start: str | None = None, end: str | None = None, as_of=None) -> None:
    """``--start`` / ``--end`` / ``--as-of`` within the price history's dates.

    Raises:
        UsageError: a date past the last price, or ``--end`` before the first.
    """
    if not len(history.dates):
        return  # prices come from the broker: nothing to compare with
    first, last = str(history.dates[0]), str(history.dates[-1])
    for option, day in (("--start", start), ("--as-of", as_of)):
        if day and day > last:
            raise UsageError(
                f"{option} {day} is after the last price, {last} ({history.source}); "
                f"pass a date on or before {last}, or --prices with later data"
            )
    if end and end < first:
        raise UsageError(
            f"--end {end} is before the first price, {first} ({history.source}); "
            f"pass a date after {first}"
        )


def check_capital(session, options, lookback: int | None = None) -> None:
    """With whole shares, ``--capital`` must buy at least one share of each asset at the
    first day a rebalance can happen (the first with ``lookback`` returns, from ``--start``).

    Raises:
        UsageError: it cannot: the backtest would never invest.
    """
    from rp_tui.services.policy import policy_of

    portfolio = session.portfolio
    base = portfolio.base_currency
    if policy_of(portfolio, options.policy).fractional or any(
        a.currency != base for a in portfolio.assets
    ):
        return  # fractional shares always invest; foreign prices need FX to compare
    history = session.history
    if options.end:
        history = history.until(options.end)
    lookback = lookback or options.lookback or portfolio.strategy.lookback
    first = lookback
    if options.start:
        first = max(first, int(np.searchsorted(history.dates, np.datetime64(options.start, "D"))))
    if first >= len(history.dates):
        return  # too little history: the backtest says so itself
    prices = history.closes[first]
    cost = float(prices.sum())
    if options.capital >= cost:
        return
    shares = " + ".join(f"{s} {p:,.2f}" for s, p in zip(history.symbols, prices, strict=True))
    raise UsageError(
        f"--capital {options.capital:,.2f} cannot buy one share of each asset ({shares} = "
        f"{cost:,.2f} {base} on {history.dates[first]}, the first day with {lookback} "
        "returns): with whole shares the backtest would never invest; raise --capital "
        f"above {cost:,.2f} or add --fractional"
    )


def warn_if_never_traded(report, options, portfolio) -> None:
    """Say on stderr when the strategy made no trade at all: its value is its cash."""
    from rp_tui.services.policy import policy_of

    if len(report.result.trades.quantities):
        return
    policy, causes = policy_of(portfolio, options.policy), []
    if not policy.fractional:
        causes.append(f"--capital {options.capital:,.2f} may be too small for whole shares")
    if policy.min_trade > 0:
        causes.append(f"min_trade {policy.min_trade:,.2f} (--min-trade) may skip every trade")
    if policy.max_commission_ratio > 0:
        causes.append(
            f"max_commission_ratio {policy.max_commission_ratio:g} (--max-commission-ratio) "
            "may skip every trade"
        )
    if policy.skip_uneconomic:
        causes.append("skip_uneconomic (--skip-uneconomic) may skip every trade")
    why = f" ({'; '.join(causes)})" if causes else ""
    print(
        f"rp-tui: warning: the strategy never traded{why}: its value is its starting cash",
        file=sys.stderr,
    )
