"""Target weights: the allocation method applied to the lookback window of daily returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rp_tui.broker.base import AccountSnapshot, Broker
from rp_tui.domain.allocation import AllocationError
from rp_tui.domain.constraints import InfeasibleError
from rp_tui.domain.returns import simple_returns
from rp_tui.domain.strategy import allocate
from rp_tui.errors import DataError
from rp_tui.inputs.prices import PriceHistory
from rp_tui.services.session import OWN_HISTORY, Session


@dataclass(frozen=True)
class Targets:
    """Target weights at ``as_of`` from the ``lookback`` daily returns ending that day.

    ``weights`` and ``risk_contributions`` have shape ``(n_assets,)`` and are fractions;
    ``covariance`` is ``(n_assets, n_assets)`` of daily simple returns. ``notes`` say what
    the method ignored or adjusted (budgets under ``erc``, binding bounds, fixed weights
    normalised): the dashboard and ``rp-tui weights`` show them.
    """

    as_of: str
    method: str
    lookback: int
    symbols: tuple[str, ...]
    weights: np.ndarray
    risk_contributions: np.ndarray
    covariance: np.ndarray
    estimator: str = "sample"
    budgets: np.ndarray | None = None
    exact: bool = True
    scale: float = 1.0
    returns: np.ndarray | None = None
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict:
        """The ``rp-tui weights --format json`` document (fractions)."""
        return {
            "as_of": self.as_of,
            "method": self.method,
            "lookback": self.lookback,
            "weights": dict(zip(self.symbols, map(float, self.weights), strict=True)),
            "risk_contributions": dict(
                zip(self.symbols, map(float, self.risk_contributions), strict=True)
            ),
            "notes": list(self.notes),
        }


def compute_targets(
    session: Session,
    method: str | None = None,
    lookback: int | None = None,
    as_of=None,
    history: PriceHistory | None = None,
) -> Targets:
    """Allocation weights for the session's assets (config defaults unless overridden),
    from ``history`` (default: the session's bundled or CSV history).

    Raises:
        DataError: fewer than ``lookback`` returns up to ``as_of``, or a flat price series.
        ValueError: an unknown method.
    """
    method = method or session.portfolio.strategy.method
    lookback = lookback or session.portfolio.strategy.lookback
    history = (history or session.history).until(as_of)
    returns = simple_returns(history.closes)
    if len(returns) < lookback:
        raise DataError(
            f"{history.source}: only {len(returns)} daily returns up to {history.as_of}, "
            f"lookback needs {lookback}; lower strategy.lookback or supply more history"
        )
    window = returns[-lookback:]
    try:
        result = allocate(window, session.portfolio.allocation_spec(method))
    except AllocationError as exc:
        symbol = history.symbols[exc.asset] if exc.asset is not None else "the portfolio"
        raise DataError(f"{history.source}: cannot weight {symbol}: {exc}") from exc
    except InfeasibleError as exc:
        raise DataError(f"{session.portfolio.path}: infeasible constraints: {exc}") from exc
    return Targets(
        history.as_of,
        method,
        lookback,
        history.symbols,
        result.weights,
        result.risk_contributions,
        result.covariance,
        session.portfolio.strategy.estimator,
        result.budgets,
        result.exact,
        result.scale,
        window,
        tuple(result.notes),
    )


async def targets_for(session: Session, broker: Broker, snapshot: AccountSnapshot) -> Targets:
    """Targets as of the snapshot's date; with IBKR or Alpaca from the broker's own daily
    history unless ``--prices`` gave one."""
    history = None
    if broker.kind in OWN_HISTORY and session.prices_path is None:
        history = await broker.history(session.portfolio.strategy.lookback + 1)
    return compute_targets(session, as_of=snapshot.as_of[:10], history=history)
