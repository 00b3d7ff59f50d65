"""The risk service: decomposition of target and current weights, VaR/CVaR, correlations.

Shared by ``rp-tui risk`` and the TUI's risk screen.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rp_tui.domain.risk_measures import (
    RiskDecomposition,
    VarEstimate,
    correlation,
    risk_decomposition,
    value_at_risk,
)
from rp_tui.services.plan import plan_from_snapshot
from rp_tui.services.targets import targets_for


@dataclass(frozen=True)
class RiskReport:
    """Risk of the account as held and of its targets.

    Attributes:
        as_of, method, lookback: the inputs (the covariance window ends at ``as_of``).
        symbols: ``(n_assets,)``.
        current_weights, target_weights: fractions of NAV, ``(n_assets,)``.
        current, target: their :class:`RiskDecomposition` (annualised).
        var: VaR/CVaR of the current weights, every method × 95/99 % × 1 day/1 month.
        correlation: ``(n_assets, n_assets)`` over the lookback.
    """

    as_of: str
    method: str
    lookback: int
    symbols: tuple[str, ...]
    current_weights: np.ndarray
    target_weights: np.ndarray
    current: RiskDecomposition
    target: RiskDecomposition
    var: tuple[VarEstimate, ...]
    correlation: np.ndarray

    def to_json(self) -> dict:
        """The ``rp-tui risk --format json`` document (annualised fractions)."""

        def portfolio(d: RiskDecomposition) -> dict:
            return {
                "volatility": d.portfolio_volatility,
                "diversification_ratio": d.diversification_ratio,
                "effective_bets": d.effective_bets,
                "effective_bets_pca": d.effective_bets_pca,
            }

        assets = []
        for i, s in enumerate(self.symbols):
            assets.append(
                {
                    "symbol": s,
                    "weight": float(self.current_weights[i]),
                    "target": float(self.target_weights[i]),
                    "volatility": float(self.target.volatility[i]),
                    "marginal_risk_current": float(self.current.marginal[i]),
                    "marginal_risk_target": float(self.target.marginal[i]),
                    "risk_contribution_current": float(self.current.share[i]),
                    "risk_contribution_target": float(self.target.share[i]),
                }
            )
        return {
            "as_of": self.as_of,
            "method": self.method,
            "lookback": self.lookback,
            "assets": assets,
            "portfolio": {"current": portfolio(self.current), "target": portfolio(self.target)},
            "var": [vars(v) for v in self.var],
            "correlation": {
                a: dict(zip(self.symbols, map(float, row), strict=True))
                for a, row in zip(self.symbols, self.correlation, strict=True)
            },
        }


STAGES = 4  # account, targets, decomposition, VaR (Monte Carlo)


def _monte_carlo_job(returns, weights, paths, seed, progress=None, cancelled=None):
    """:func:`value_at_risk` as a :func:`rp_tui.services.child_process.run_in_child` job."""
    return tuple(value_at_risk(returns, weights, paths=paths, seed=seed))


async def _var_in_child(returns, weights, paths: int, seed: int) -> tuple[VarEstimate, ...]:
    """The VaR estimates computed in a child process, awaited without blocking the loop
    (a task cancelled meanwhile stops the child)."""
    from rp_tui.services.child_process import run_in_child

    stop = threading.Event()
    job = (returns, weights, paths, seed)
    try:
        return await asyncio.to_thread(run_in_child, _monte_carlo_job, job, None, stop.is_set)
    except asyncio.CancelledError:
        stop.set()
        raise


async def risk_report(
    session,
    broker,
    paths: int = 5_000,
    seed: int = 0,
    progress: Callable[[int, str], None] | None = None,
    in_child: bool = False,
) -> RiskReport:
    """Snapshot the account, build its targets and measure both.

    Args:
        session: a :class:`rp_tui.services.session.Session`; broker: demo or IBKR.
        paths: Monte Carlo scenarios (≥ 5,000 by default); seed: makes them reproducible.
        progress: told ``(stage, what)`` as each of the :data:`STAGES` stages starts
            (0-based), and ``(STAGES, "done")`` at the end; the Monte Carlo stage (one
            vectorised draw of ``paths`` × 21 days) is most of the time for large ``paths``.
        in_child: compute the VaR estimates in a child process (the TUI: 70-170 ms of
            Monte Carlo for 20 assets would otherwise hold its event loop); the same numbers
            but for the last bits of sums over the scenarios (numpy's sums of large arrays
            depend on where they lie in memory).

    Raises:
        UserError: as :func:`rp_tui.services.plan.build_plan`.
    """
    report = progress or (lambda _stage, _what: None)
    report(0, "account snapshot")
    snapshot = await broker.snapshot()
    report(1, "targets")
    targets = await targets_for(session, broker, snapshot)
    report(2, "risk decomposition")
    plan = plan_from_snapshot(session, snapshot, targets)
    held = [p for p in plan.positions if p.in_portfolio]  # the covariance covers these only
    current = np.array([p.weight for p in held])
    target = np.array([p.target for p in held])
    if not current.any():
        current = target  # an empty account: its risk is the targets'
    report(3, f"VaR / CVaR: Monte Carlo {paths:,} paths x 21 days")
    if in_child:
        var = await _var_in_child(targets.returns, current, paths, seed)
    else:
        var = _monte_carlo_job(targets.returns, current, paths, seed)
    report(STAGES, "done")
    return RiskReport(
        as_of=targets.as_of,
        method=targets.method,
        lookback=targets.lookback,
        symbols=targets.symbols,
        current_weights=current,
        target_weights=target,
        current=risk_decomposition(current, targets.covariance),
        target=risk_decomposition(target, targets.covariance),
        var=var,
        correlation=correlation(targets.covariance),
    )
