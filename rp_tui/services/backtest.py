"""The backtest service: the configured strategy, replayed with the live sizing rules, beside
its benchmarks (the files ``--out`` writes are :mod:`rp_tui.services.backtest_files`).

Shared by ``rp-tui backtest``, ``rp-tui sweep`` and the TUI's backtest screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from rp_tui.domain.metrics import monthly_stats
from rp_tui.domain.rebalance import RebalanceRules
from rp_tui.domain.replay import BacktestError, BacktestResult, equal_weight, run_backtest
from rp_tui.errors import DataError
from rp_tui.inputs.fee_data import fee_table, history_note
from rp_tui.services.backtest_runs import (
    Targets,
    prepare,
    replay,
    strategy_path,
)
from rp_tui.services.policy import PolicyOverrides

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
    data_note: str = ""  # what the prices leave out (e.g. distributions), shown with returns
    data_source: str = ""  # where the prices come from

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
            "prices": self.data_source,
            "prices_caveat": self.data_note,
            "fees": self.fee_note,
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
    prepared = prepare(session, options)
    history, spec, fees = prepared.history, prepared.spec, prepared.fees
    in_base = (prepared.fx, prepared.groups)  # the portfolio's listings, in base currency
    weights = Targets(prepared.allocation_spec)
    parts = 1 + len(options.benchmarks)

    def share(i: int, lo: float = 0.0, hi: float = 1.0):
        """Progress of part ``i`` of ``parts`` (its sub-range [lo, hi] of that part)."""
        if progress is None:
            return None
        return lambda f: progress((i + lo + (hi - lo) * f) / parts)

    path = strategy_path(prepared, weights, share(0, 0.0, 0.5), cancelled)
    strategy_result = replay(
        prepared, spec, weights, path, share(0, 0.5 if path else 0.0), cancelled
    )
    results: dict[str, BacktestResult] = {}
    for i, name in enumerate(options.benchmarks, start=1):
        if name == "equal-weight":
            run = (name, history, fees, spec, equal_weight, in_base)
        elif name == "buy-and-hold":  # the strategy's first targets, then held
            run = (name, history, fees, replace(spec, rebalance_once=True), weights, in_base)
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
            run = (name.upper(), prices, free, bench, lambda _w, mix=mix: mix, (None, None))
        label, prices, run_fees, run_spec, allocator, (rates, mask) = run
        try:
            results[label] = run_backtest(
                prices.dates,
                prices.closes,
                run_fees,
                run_spec,
                allocator,
                share(i),
                cancelled,
                prepared.start,
                rates,
                mask,
                prepared.fees_on if run_fees is fees else None,
            )
        except BacktestError as exc:
            raise DataError(f"{prices.source}: {label}: {exc}") from exc
    note = history_note(
        prepared.plan, session.portfolio.assets, strategy_result.dates[0], history.dates[-1]
    )
    return BacktestReport(
        history.symbols,
        prepared.method,
        prepared.lookback,
        prepared.rebalance,
        strategy_result,
        results,
        note,
        history.caveat,
        history.source,
    )
