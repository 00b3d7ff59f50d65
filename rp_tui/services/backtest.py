"""The backtest service: the configured strategy, replayed with the live sizing rules, beside
its benchmarks (the files ``--out`` writes are :mod:`rp_tui.services.backtest_files`).

Shared by ``rp-tui backtest``, ``rp-tui sweep`` and the TUI's backtest screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from rp_tui.domain.fx_conversion import currency_groups
from rp_tui.domain.metrics import monthly_stats
from rp_tui.domain.rebalance import RebalanceRules
from rp_tui.domain.replay import (
    BacktestError,
    BacktestResult,
    BacktestSpec,
    equal_weight,
    run_backtest,
)
from rp_tui.domain.strategy import allocate
from rp_tui.errors import DataError
from rp_tui.inputs.fee_data import dated_fees, fee_table, history_note
from rp_tui.services.policy import PolicyOverrides, policy_of, sizing_rules

BENCHMARKS = ("equal-weight", "buy-and-hold")


@dataclass(frozen=True)
class BacktestOptions:
    """What a backtest replays beyond ``portfolio.toml``; ``None`` keeps the file's value.

    ``start``/``end`` are ISO dates (rebalances from ``start``, prices up to ``end``);
    ``policy``: command-line overrides of ``[rebalancing]`` (the same policy the live plan
    follows); ``fees`` a fee plan (``ibkr-fixed``, ``ibkr-tiered``, ``none``); money in base
    currency; ``contribution`` cash per ``contribution_frequency`` period (< 0 withdraws);
    ``benchmarks``: ``equal-weight``, ``buy-and-hold``, a symbol of the price file (held),
    or a fixed mix such as ``SPY:0.6,AGG:0.4`` (rebalanced on the same calendar, no costs).
    ``fx_path``: a CSV like the price file with one column per currency: base currency per
    unit of it (needed when listings are quoted in other currencies than the base).
    """

    start: str | None = None
    end: str | None = None
    method: str | None = None
    lookback: int | None = None
    fees: str | None = None
    capital: float = 100_000.0
    contribution: float = 0.0
    contribution_frequency: str | None = None
    policy: PolicyOverrides = field(default_factory=PolicyOverrides)
    benchmarks: tuple[str, ...] = ("equal-weight",)
    fx_path: str | None = None


@dataclass(frozen=True)
class BacktestReport:
    """The strategy's backtest and its benchmarks on the same calendar.

    ``benchmark`` is the first of ``benchmarks`` (equal weight unless asked otherwise).
    """

    symbols: tuple[str, ...]
    method: str
    lookback: int
    rebalance: str
    result: BacktestResult
    benchmarks: dict[str, BacktestResult] = field(default_factory=dict)
    fee_note: str = ""  # which fees each trade date paid (rp_tui.inputs.fee_data.history_note)

    @property
    def benchmark(self) -> BacktestResult:
        """The first benchmark (equal weight unless others were asked for)."""
        return next(iter(self.benchmarks.values()))

    def stats(self, result: BacktestResult | None = None) -> dict[str, float]:
        """Every statistic of ``result`` (default: the strategy), fractions unless counts."""
        r = result or self.result
        return {
            **{k: float(v) for k, v in r.stats.items()},
            **monthly_stats(r.dates, r.growth),
            "average_drift_at_rebalance": float(np.nanmean(r.drift_at_rebalance)),
            "commission_total": float(r.fees_paid),
            "trades": len(r.trades.quantities),
            "rebalances": len(r.rebalance_dates),
            "turnover": float(r.turnover),
        }

    def to_json(self) -> dict:
        """The ``rp-tui backtest --format json`` document, also written as stats.json."""
        r = self.result
        return {
            "start": str(r.dates[0]),
            "end": str(r.dates[-1]),
            "rebalances": len(r.rebalance_dates),
            "final_value": float(r.equity[-1]),
            "fees_paid": float(r.fees_paid),
            "turnover": float(r.turnover),
            "contributions": float(r.flows.sum()),
            "stats": self.stats(),
            "benchmarks": {name: self.stats(b) for name, b in self.benchmarks.items()},
        }


def _benchmark_mix(name: str) -> tuple[tuple[str, ...], np.ndarray]:
    """``"SPY"`` or ``"SPY:0.6,AGG:0.4"`` as symbols and weights summing to 1.

    Raises:
        DataError: a malformed weight.
    """
    symbols, weights = [], []
    for part in name.upper().split(","):
        symbol, _, weight = part.partition(":")
        try:
            weights.append(float(weight) if weight else 1.0)
        except ValueError as exc:
            raise DataError(f"benchmark {name!r}: {weight!r} is not a weight") from exc
        symbols.append(symbol.strip())
    mix = np.array(weights)
    if not np.all(mix > 0):
        raise DataError(f"benchmark {name!r}: weights must be > 0")
    return tuple(symbols), mix / mix.sum()


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


def backtest(
    session,
    options: BacktestOptions,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> BacktestReport:
    """Run the configured strategy and its benchmarks over the session's history.

    Args:
        session: a :class:`rp_tui.services.session.Session`.
        options: overrides of the config (see :class:`BacktestOptions`).
        progress: called with the fraction done, in [0, 1].
        cancelled: polled between rebalances; True stops with ``BacktestCancelled``.

    Raises:
        DataError: bad dates, no history, too little history, an unknown benchmark symbol,
            or allocation failing on a date (named).
        BacktestCancelled: ``cancelled`` returned True.
    """
    strategy = session.portfolio.strategy
    policy = policy_of(session.portfolio, options.policy)
    method = options.method or strategy.method
    lookback = options.lookback or strategy.lookback
    rebalance = policy.frequency
    if not len(session.history.dates):
        raise DataError(f"{session.history.source}; a backtest needs --prices CSV with them")
    history = session.history.until(options.end)
    fees = session.fees
    if options.fees and options.fees != session.portfolio.fee_plan:
        fees = fee_table(options.fees, session.portfolio.assets)
    plan = options.fees or session.portfolio.fee_plan
    fees_on = dated_fees(plan, session.portfolio.assets)  # fees of each trade date, cached
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
        rebalance,
        rules,
        options.capital,
        _sessions(session, policy.calendar, history),
        policy.anchor,
        options.contribution,
        options.contribution_frequency,
        min_interval_days=policy.min_interval_days,
    )
    allocation_spec = session.portfolio.allocation_spec(method)

    last: list[np.ndarray] = []  # the previous rebalance's weights: a warm start

    def weights(window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        result = allocate(window, allocation_spec, last[-1] if last else None)
        last[:] = [result.weights / result.scale if result.scale else result.weights]
        return result.weights, result.covariance

    in_base = (fx, groups)  # the portfolio's listings, valued in base currency
    runs = [("strategy", history, fees, spec, weights, in_base)]
    for name in options.benchmarks:
        if name == "equal-weight":
            runs.append((name, history, fees, spec, equal_weight, in_base))
        elif name == "buy-and-hold":
            runs.append((name, history, fees, replace(spec, rebalance_once=True), weights, in_base))
        else:  # symbols of the price file: "SPY" held, or "SPY:0.6,AGG:0.4" rebalanced
            symbols, mix = _benchmark_mix(name)
            prices = session.universe.select(symbols).until(options.end)
            free = fee_table("none", session.portfolio.assets[:1] * len(symbols))
            frictionless = RebalanceRules(whole_shares=False)  # no band, buffer, cost or skip
            bench = replace(
                spec,
                contribution=0.0,
                rules=frictionless,
                rebalance_once=len(symbols) == 1,
                min_interval_days=0,
            )
            runs.append(
                (name.upper(), prices, free, bench, lambda _window, mix=mix: mix, (None, None))
            )

    results: dict[str, BacktestResult] = {}
    for i, (name, prices, run_fees, run_spec, allocator, (rates, mask)) in enumerate(runs):
        step = None if progress is None else (lambda f, i=i: progress((i + f) / len(runs)))
        try:
            results[name] = run_backtest(
                prices.dates,
                prices.closes,
                run_fees,
                run_spec,
                allocator,
                step,
                cancelled,
                start,
                rates,
                mask,
                fees_on if run_fees is fees else None,
            )
        except BacktestError as exc:
            raise DataError(f"{prices.source}: {name}: {exc}") from exc
    strategy_result = results.pop("strategy")
    note = history_note(plan, session.portfolio.assets, strategy_result.dates[0], history.dates[-1])
    return BacktestReport(
        history.symbols, method, lookback, rebalance, strategy_result, results, note
    )
