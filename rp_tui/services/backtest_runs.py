"""The parts of a backtest run: options resolved against the session (:func:`prepare`), the
strategy's target path computed once (:func:`strategy_path`), and the orders replayed on it
(:func:`replay`). :func:`rp_tui.services.backtest.backtest` chains them with the benchmarks;
a sweep (:mod:`rp_tui.services.sweep`) replays many rules on one path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rp_tui.domain.fx_conversion import currency_groups
from rp_tui.domain.replay import BacktestError, BacktestResult, BacktestSpec, run_backtest
from rp_tui.domain.replay_many import run_backtests
from rp_tui.domain.returns import simple_returns
from rp_tui.domain.strategy import allocate, allocate_many
from rp_tui.domain.target_path import TargetPath, compute_path, rebalance_rows
from rp_tui.errors import DataError
from rp_tui.inputs.fee_data import dated_fees, fee_table
from rp_tui.services.policy import policy_of, sizing_rules


def fx_rates(session, history, fx_path: str | None):
    """Base currency per unit of each asset's currency on each date, ``(n_days, n_assets)``,
    and each listing's currency group (:func:`rp_tui.domain.fx_conversion.currency_groups`,
    ``(n_assets,)``); ``(None, None)`` when all are in the base currency.

    Raises:
        DataError: foreign listings without ``fx_path``, a currency the FX file lacks, or
            prices on dates before its first rate.
    """
    from rp_tui.inputs.prices import load_prices

    p = session.portfolio
    foreign = np.array([a.currency != p.base_currency for a in p.assets])
    if not foreign.any():
        return None, None
    if fx_path is None:
        codes = sorted({a.currency for a in p.assets} - {p.base_currency})
        raise DataError(
            f"{', '.join(codes)} listings in a {p.base_currency} portfolio: pass --fx CSV with "
            f"a Date column and one column per currency ({', '.join(codes)}: "
            f"{p.base_currency} per unit)"
        )
    rates = load_prices(fx_path)
    rows = np.searchsorted(rates.dates, history.dates, side="right") - 1
    if rows[0] < 0:
        raise DataError(f"{fx_path}: no rate on or before {history.dates[0]}")
    fx = np.ones((len(history.dates), len(p.assets)))
    for i, asset in enumerate(p.assets):
        if foreign[i]:
            fx[:, i] = rates.select((asset.currency,)).closes[rows, 0]  # last known rate
    return fx, currency_groups([a.currency for a in p.assets], p.base_currency)


def _sessions(session, calendar: str, history):
    """Exchange trading days covering the history, or None to use the file's dates."""
    from rp_tui.inputs.trading_days import calendar_for, trading_sessions

    mic = calendar or None
    if mic == "file":
        return None
    mic = mic or calendar_for(session.portfolio.assets[0])
    return trading_sessions(mic, history.dates[0], history.dates[-1] + np.timedelta64(15, "D"))


@lru_cache(maxsize=32)
def _fees_of(plan: str, assets: tuple) -> tuple:
    """``(fee_table, dated_fees)`` of a plan: built once per process (sweeps ask often)."""
    return fee_table(plan, assets), dated_fees(plan, assets)


@dataclass(frozen=True)
class Prepared:
    """Everything a backtest of ``options`` needs, resolved once (see :func:`prepare`).

    ``history``: prices up to ``options.end``; ``fees`` / ``fees_on``: the plan's table and
    dated tables; ``spec``: the replay's spec; ``start``: first rebalance date or ``None``;
    ``fx``, ``groups``: :func:`fx_rates`; ``allocation_spec``, ``method``, ``lookback``,
    ``rebalance``: the strategy; ``plan``: the fee plan's name.
    """

    history: object
    fees: object
    fees_on: object
    spec: BacktestSpec
    start: np.datetime64 | None
    fx: np.ndarray | None
    groups: np.ndarray | None
    allocation_spec: object
    method: str
    lookback: int
    rebalance: str
    plan: str


def prepare(session, options) -> Prepared:
    """Resolve ``options`` (:class:`~rp_tui.services.backtest.BacktestOptions`) against the
    session: policy, rules, calendar, fees, FX.

    Raises:
        DataError: no history, a bad ``--start``, or FX needed but missing.
    """
    strategy = session.portfolio.strategy
    policy = policy_of(session.portfolio, options.policy)
    method = options.method or strategy.method
    lookback = options.lookback or strategy.lookback
    if not len(session.history.dates):
        raise DataError(f"{session.history.source}; a backtest needs --prices CSV with them")
    history = session.history.until(options.end)
    plan = options.fees or session.portfolio.fee_plan
    assets = tuple(session.portfolio.assets)
    fees = session.fees
    if options.fees and options.fees != session.portfolio.fee_plan:
        fees = _fees_of(options.fees, assets)[0]
    fees_on = _fees_of(plan, assets)[1]  # fees of each trade date, cached
    start = None
    if options.start:
        try:
            start = np.datetime64(options.start, "D")
        except ValueError as exc:
            raise DataError(f"--start {options.start!r} is not an ISO date") from exc
    fx, groups = fx_rates(session, history, options.fx_path)
    currencies = [a.currency for a in session.portfolio.assets]
    # the conversion minimum is in USD: in base currency at the first date's rate
    usd_to_base = fx[0, currencies.index("USD")] if fx is not None and "USD" in currencies else 1.0
    rules = sizing_rules(session.portfolio, options.policy, plan, usd_to_base)
    spec = BacktestSpec(
        lookback,
        policy.frequency,
        rules,
        options.capital,
        _sessions(session, policy.calendar, history),
        policy.anchor,
        options.contribution,
        options.contribution_frequency,
        min_interval_days=policy.min_interval_days,
    )
    allocation_spec = session.portfolio.allocation_spec(method)
    return Prepared(
        history,
        fees,
        fees_on,
        spec,
        start,
        fx,
        groups,
        allocation_spec,
        method,
        lookback,
        policy.frequency,
        plan,
    )


class Targets:
    """The strategy's allocator: :func:`rp_tui.domain.strategy.allocate` of each window,
    as the live plan calls it (nothing carried from one rebalance to the next); returns
    ``(weights (n,), covariance (n, n))``. ``many`` does a list of windows at once."""

    def __init__(self, allocation_spec):
        self.spec = allocation_spec

    def __call__(self, window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        result = allocate(window, self.spec)
        return result.weights, result.covariance

    def many(self, windows: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """``[self(w) for w in windows]`` (:func:`rp_tui.domain.strategy.allocate_many`)."""
        return [(r.weights, r.covariance) for r in allocate_many(windows, self.spec)]


def strategy_path(
    prepared: Prepared,
    allocator: Targets,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> TargetPath | None:
    """The strategy's targets at every rebalance, computed before its orders; ``None`` when
    the over-trading guard is on (a rebalance it skips must not allocate: a window that
    cannot be weighted would fail a backtest that never trades on it; the replay then
    allocates as it goes, to the same numbers).

    Raises:
        DataError: too little history, or allocation failing on a date (named).
        BacktestCancelled: ``cancelled`` returned True.
    """
    spec, history = prepared.spec, prepared.history
    if spec.min_interval_days > 0:
        return None
    try:
        rows = rebalance_rows(
            history.dates,
            spec.frequency,
            spec.lookback,
            spec.sessions,
            spec.anchor,
            prepared.start,
        )
        returns = simple_returns(history.closes)
        return compute_path(
            returns, history.dates, rows, spec.lookback, allocator, progress, cancelled
        )
    except BacktestError as exc:
        raise DataError(f"{history.source}: strategy: {exc}") from exc


def replay(
    prepared: Prepared,
    spec: BacktestSpec,
    allocator,
    path: TargetPath | None = None,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    name: str = "strategy",
) -> BacktestResult:
    """Replay the orders of ``prepared`` under ``spec`` (its rules may differ: a sweep's
    band, mode or fees) on the targets of ``path`` (or of ``allocator`` as it goes).

    Raises:
        DataError: as :func:`strategy_path`. BacktestCancelled: see ``cancelled``.
    """
    history = prepared.history
    try:
        return run_backtest(
            history.dates,
            history.closes,
            prepared.fees,
            spec,
            allocator,
            progress,
            cancelled,
            prepared.start,
            prepared.fx,
            prepared.groups,
            prepared.fees_on,
            path=path,
        )
    except BacktestError as exc:
        raise DataError(f"{history.source}: {name}: {exc}") from exc


def replay_many(
    prepared: Prepared,
    specs: list[BacktestSpec],
    path: TargetPath,
    cancelled: Callable[[], bool] | None = None,
) -> list[BacktestResult]:
    """:func:`replay` of each of ``specs`` on the targets of ``path``: specs differing only in
    the band are replayed in lockstep (:func:`rp_tui.domain.replay_many.run_backtests`), to
    the same numbers. ``prepared`` gives what they share (history, fees, start, FX).

    Raises:
        DataError: as :func:`replay`, for the first spec failing. BacktestCancelled.
    """
    history = prepared.history
    try:
        return run_backtests(
            history.dates,
            history.closes,
            prepared.fees,
            specs,
            path,
            prepared.start,
            prepared.fx,
            prepared.groups,
            prepared.fees_on,
            cancelled,
        )
    except BacktestError as exc:
        raise DataError(f"{history.source}: strategy: {exc}") from exc
