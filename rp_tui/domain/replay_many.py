"""Backtests of one target path under several bands, replayed in lockstep.

A sweep's points that differ only in the band share their targets, rebalance dates, prices
and fees: at each rebalance their accounts are sized together
(:func:`~rp_tui.domain.rebalance_many.plan_rebalance_many`), and each account's result is
built as :func:`~rp_tui.domain.replay.run_backtest` builds it. Each result is that of the
point's own ``run_backtest``, bit for bit (``tests/domain/test_rebalance_many.py``); specs
this cannot replay together (cash flows, FX, other modes, ...) are run one by one.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import fields, replace

import numpy as np

from rp_tui.domain.backtest_result import BacktestResult, summarise
from rp_tui.domain.fee_model import FeeTable
from rp_tui.domain.rebalance_many import covers, plan_rebalance_many
from rp_tui.domain.replay import BacktestSpec, run_backtest
from rp_tui.domain.target_path import BacktestCancelled, TargetPath

# what the lockstep replay reads of a spec (the calendar's fields only decide the path's
# rows, computed before); every other field must keep its default (no cash flow, no
# over-trading guard): a field added to BacktestSpec later is replayed one spec at a time
_READ = ("lookback", "frequency", "rules", "capital", "sessions", "anchor", "rebalance_once")


def in_lockstep(specs: Sequence[BacktestSpec], path: TargetPath | None, fx, groups) -> bool:
    """True when :func:`run_backtests` replays ``specs`` together: a path computed before,
    one currency, specs equal but for the band and the capital, none with a cash flow or
    the over-trading guard, and rules :func:`~rp_tui.domain.rebalance_many.covers`."""
    first = specs[0]
    unread = [f for f in fields(BacktestSpec) if f.name not in _READ]
    return (
        path is not None
        and fx is None
        and groups is None
        and all(getattr(first, f.name) == f.default for f in unread)
        and covers(first.rules)
        and all(
            _same(
                replace(s, rules=replace(s.rules, band=first.rules.band), capital=first.capital),
                first,
            )
            for s in specs
        )
    )


def _same(a: BacktestSpec, b: BacktestSpec) -> bool:
    """Every field equal; the trading days (an array, or ``None``) by their contents (a
    spec's ``==`` cannot compare two arrays that are not the same object)."""
    for f in fields(BacktestSpec):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            if not (x is y or np.array_equal(x, y)):
                return False
        elif x != y:
            return False
    return True


def run_backtests(
    dates: np.ndarray,
    prices: np.ndarray,
    fees: FeeTable,
    specs: Sequence[BacktestSpec],
    path: TargetPath | None,
    start: np.datetime64 | None = None,
    fx: np.ndarray | None = None,
    currency_groups: np.ndarray | None = None,
    fees_on: Callable[[datetime.date], FeeTable] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[BacktestResult]:
    """``[run_backtest(dates, prices, fees, spec, None, None, cancelled, start, fx,
    currency_groups, fees_on, path) for spec in specs]``, bit for bit.

    Args: as :func:`~rp_tui.domain.replay.run_backtest`; ``specs`` differ in the band (and
    capital) when replayed together, else anything.

    Raises:
        BacktestError, BacktestCancelled: as ``run_backtest``, for the first spec failing.
    """

    def one_by_one() -> list[BacktestResult]:
        return [
            run_backtest(
                dates,
                prices,
                fees,
                s,
                None,
                None,
                cancelled,
                start,
                fx,
                currency_groups,
                fees_on,
                path,
            )
            for s in specs
        ]

    if len(specs) < 2 or not in_lockstep(specs, path, fx, currency_groups):
        return one_by_one()
    dates = np.asarray(dates, dtype="datetime64[D]")
    prices = np.asarray(prices, dtype=float)
    ends = path.rows
    events = np.union1d(ends, np.array([], dtype=int)).astype(int)  # run_backtest's, no flows
    first, (k, n) = int(ends[0]), (len(specs), prices.shape[1])
    days = None if fees_on is None else dates[events].tolist()
    holdings, cash = np.zeros((k, n)), np.array([float(s.capital) for s in specs])
    targets = np.empty((ends.size, n))
    drift_seen, navs = np.full((k, ends.size, n), np.nan), np.full((k, ends.size), np.nan)
    held_after, cash_after = np.empty((k, events.size, n)), np.empty((k, events.size))
    orders = np.zeros((k, 3, events.size, n))
    fees_paid = [0.0] * k
    rules, bands = specs[0].rules, [s.rules.band for s in specs]
    for e, day in enumerate(events.tolist()):  # every event is a rebalance
        if cancelled is not None and cancelled():
            raise BacktestCancelled
        targets[e] = path.weights[e]
        try:
            plans = plan_rebalance_many(
                holdings, prices[day], cash, targets[e], rules, bands,
                fees if fees_on is None else fees_on(days[e]),
            )  # fmt: skip
        except ValueError:  # a plan refused: each spec says why, as its own replay does
            return one_by_one()
        for i, plan in enumerate(plans):
            drift_seen[i, e], navs[i, e] = plan.drift, plan.nav
            orders[i, 0, e], orders[i, 1, e] = plan.quantities, plan.fill_prices
            orders[i, 2, e] = plan.commissions
            holdings[i] = holdings[i] + plan.quantities
            cash[i] = plan.cash_after
            fees_paid[i] += plan.total_commission
        held_after[:, e], cash_after[:, e] = holdings, cash
    flows = np.zeros(len(dates) - first)
    return [
        summarise(
            dates,
            prices,
            None,
            first,
            ends,
            events,
            targets.copy(),
            drift_seen[i],
            navs[i],
            orders[i],
            held_after[i],
            cash_after[i],
            flows.copy(),
            fees_paid[i],
        )
        for i in range(k)
    ]
