"""One entry point from a window of returns to target weights, for every method.

Used by the live plan and the backtest alike, so what is backtested is what trades.
Methods: ``erc`` (equal risk budgets: any ``budget`` values are ignored, and the result says
so) and ``risk-budget`` (the assets' budgets), both by Spinu's (2013) Newton and, when
constraints bind, as the risk-budgeting portfolio restricted to the constraints (Richard &
Roncalli 2019; see :mod:`rp_tui.domain.optimize`); ``downside-erc`` (ERC on the
semi-covariance), ``inverse-vol``, ``hrp`` (López de Prado 2016), ``min-variance`` and
``mean-variance`` (quadratic programmes). Per-asset bounds and asset-class groups apply to
all; inverse-vol and HRP are projected onto them. Volatility targeting then scales the risky
weights (the rest is cash).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from rp_tui.domain import optimize
from rp_tui.domain.allocation import (
    AllocationError,
    erc_weights,
    erc_weights_many,
    inverse_vol_weights,
    risk_contributions,
)
from rp_tui.domain.constraints import Constraints
from rp_tui.domain.covariance import estimate_covariance, semi_covariance
from rp_tui.domain.hrp import hrp_weights
from rp_tui.domain.metrics import TRADING_DAYS
from rp_tui.domain.names import METHODS
from rp_tui.domain.outliers import sanitize
from rp_tui.domain.returns import sample_covariances

RISK_BUDGETING = ("erc", "risk-budget", "downside-erc")
EQUAL_BUDGETS = ("erc", "downside-erc")  # equal risk contributions by definition


@dataclass(frozen=True)
class AllocationSpec:
    """How targets are built.

    Attributes:
        method: one of :data:`METHODS`.
        estimator: ``sample``, ``ewma`` or ``ledoit-wolf`` (see :mod:`covariance`).
        half_life: EWMA half-life, trading days.
        returns: ``simple`` or ``log`` daily returns.
        budgets: risk budgets ``(n_assets,)`` (normalised), used by ``risk-budget`` only;
            ``None`` = equal.
        constraints: bounds and groups; ``None`` = long-only, fully invested only.
        downside_threshold: daily return below which ``downside-erc`` counts risk.
        risk_aversion: λ of ``mean-variance`` (μ and Σ annualised).
        target_volatility: annual volatility to scale to (fraction), ``None`` = off.
        max_gross: cap on the sum of risky weights (≤ 1 without leverage).
        weights: the ``fixed`` method's target weights ``(n_assets,)`` (normalised to sum
            1; the portfolio file warns when they do not).
        outliers: ``off``, ``winsorize`` or ``mad``: how extreme daily returns of the window
            are treated before any estimate (:mod:`rp_tui.domain.outliers`), with
            ``outlier_level`` the quantile (winsorize) or robust σ (mad).
    """

    method: str = "erc"
    estimator: str = "sample"
    half_life: float = 63.0
    returns: str = "simple"
    budgets: np.ndarray | None = None
    constraints: Constraints | None = None
    downside_threshold: float = 0.0
    risk_aversion: float = 4.0
    target_volatility: float | None = None
    max_gross: float = 1.0
    weights: np.ndarray | None = None
    outliers: str = "off"
    outlier_level: float = 0.01

    # What the spec alone decides, worked out on first use (a backtest allocates hundreds of
    # times with one spec; the spec is frozen, so the answers cannot go stale).

    @cached_property
    def bounds_may_bind(self) -> bool:
        """Whether ``constraints`` ask for anything beyond ``0 ≤ w ≤ 1`` (else no weights
        from a method here can break them)."""
        return self.constraints is not None and self.constraints.binding_possible

    @cached_property
    def ignored_budgets_note(self) -> tuple[str, ...]:
        """The note of :func:`_budgets` when the method does not use ``budgets``, else ``()``."""
        if self.method == "risk-budget" or self.budgets is None:
            return ()
        given = " ".join(f"{x:g}" for x in np.asarray(self.budgets, dtype=float))
        why = (
            "gives every asset the same risk budget"
            if self.method in EQUAL_BUDGETS
            else "does not budget risk"
        )
        return (
            f"method {self.method} {why}: the assets' budget values ({given}) are ignored; "
            'method "risk-budget" uses them',
        )


@dataclass(frozen=True)
class Allocation:
    """Targets from :func:`allocate`.

    Attributes:
        weights: risky weights ``(n_assets,)``; sum 1, or less after volatility targeting.
        covariance: the daily covariance used (semi-covariance for downside-erc).
        budgets: the risk budgets aimed at, ``(n_assets,)`` summing to 1: the assets'
            budgets under ``risk-budget``, else equal (``1/n``; for methods that do not
            budget risk, the reference the contributions are compared with).
        exact: risk contributions equal the budgets (False when constraints bind, or the
            method does not budget risk).
        scale: the volatility-targeting multiplier applied (1 = none).
        budgets_ignored: the spec carried ``budgets`` but the method did not use them (every
            method but ``risk-budget``; ``erc`` and ``downside-erc`` use equal budgets).
        notes: sentences for the user about how the targets were built: budgets ignored,
            constraints binding, weights projected onto the constraints. Empty when none.
        unscaled: the weights before volatility targeting, ``(n_assets,)`` (``None``: the
            same as ``weights``).
    """

    weights: np.ndarray
    covariance: np.ndarray
    budgets: np.ndarray
    exact: bool
    scale: float = 1.0
    budgets_ignored: bool = False
    notes: tuple[str, ...] = ()
    unscaled: np.ndarray | None = field(default=None, repr=False)

    @cached_property
    def risk_contributions(self) -> np.ndarray:
        """Shares of variance under ``covariance`` of the unscaled weights, ``(n_assets,)``
        summing to 1; computed on first use (a backtest allocating hundreds of times never
        reads them)."""
        w = self.weights if self.unscaled is None else self.unscaled
        return risk_contributions(w, self.covariance)


def _budgets(spec: AllocationSpec, n: int) -> tuple[np.ndarray, tuple[str, ...]]:
    """The budgets aimed at, and a note when the spec's budgets are not used."""
    if spec.method != "risk-budget":
        return np.full(n, 1.0 / n), spec.ignored_budgets_note
    if spec.budgets is None:
        raise AllocationError("method risk-budget needs a budget for every asset")
    b = np.asarray(spec.budgets, dtype=float)
    if b.shape != (n,) or not np.all(b > 0):
        raise AllocationError("risk budgets must be positive, one per asset")
    return b / b.sum(), ()


def _window_covariances(windows: np.ndarray, spec: AllocationSpec) -> list[tuple]:
    """``[_window_covariance(w, spec) for w in windows]``; plain simple returns' sample
    covariances come from one batched product (:func:`sample_covariances`, the same numbers)."""
    plain = spec.returns == "simple" and spec.outliers == "off" and spec.estimator == "sample"
    if not (plain and spec.method != "downside-erc" and len(windows)):
        return [_window_covariance(w, spec) for w in windows]
    windows = np.asarray(windows, dtype=float)
    budgets, notes = _budgets(spec, windows.shape[2])
    covariances = sample_covariances(windows)
    return [(w, c, budgets.copy(), notes) for w, c in zip(windows, covariances, strict=True)]


def _window_covariance(
    returns: np.ndarray, spec: AllocationSpec
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]:
    """The returns ``allocate`` works on (log or simple, outliers treated), their covariance
    (semi-covariance for downside-erc), the budgets aimed at and the notes so far."""
    simple = np.asarray(returns, dtype=float)
    if spec.returns == "log":
        r = np.log1p(simple)
    elif spec.returns == "simple":
        r = simple
    else:
        raise ValueError(f"returns must be 'simple' or 'log', got {spec.returns!r}")
    r = sanitize(r, spec.outliers, spec.outlier_level)
    budgets, notes = _budgets(spec, r.shape[1])
    if spec.method == "downside-erc":
        cov = semi_covariance(r, spec.downside_threshold)
    else:
        cov = estimate_covariance(r, spec.estimator, spec.half_life)
    return r, cov, budgets, notes


def allocate(returns: np.ndarray, spec: AllocationSpec) -> Allocation:
    """Target weights from a window of daily simple returns.

    Args:
        returns: ``(n_obs, n_assets)`` daily simple returns (the lookback window).
        spec: the method and its inputs.

    Returns:
        An :class:`Allocation`.

    Raises:
        InfeasibleError: the constraints conflict (named).
        AllocationError: a degenerate covariance or a method that cannot be solved.
        ValueError: an unknown method, estimator or returns kind.
    """
    r, cov, budgets, notes = _window_covariance(returns, spec)
    n = r.shape[1]
    method = spec.method
    bind = spec.bounds_may_bind
    constraints = spec.constraints
    if constraints is None and method not in RISK_BUDGETING:
        constraints = Constraints.unbounded(n)
    if method in RISK_BUDGETING:
        return _risk_budgeted(erc_weights(cov, budgets), cov, budgets, notes, spec)
    if method in ("inverse-vol", "hrp", "equal-weight", "fixed"):
        raw = _heuristic_weights(method, cov, spec.weights, n)
        w = (
            raw
            if _feasible_as_is(method, raw, bind)
            else optimize.project_weights(raw, constraints)
        )
        if w is not raw:
            notes += (f"{method} weights moved to the nearest weights meeting the constraints",)
    elif method == "min-variance":
        w = optimize.min_variance_weights(cov, constraints)
    elif method == "mean-variance":
        mu = r.mean(axis=0) * TRADING_DAYS
        w = optimize.mean_variance_weights(mu, cov * TRADING_DAYS, spec.risk_aversion, constraints)
    else:
        raise ValueError(f"unknown allocation method {method!r}; choose {', '.join(METHODS)}")
    return _scaled(w, cov, budgets, False, notes, spec)


def allocate_many(windows: np.ndarray, spec: AllocationSpec) -> list[Allocation]:
    """``[allocate(w, spec) for w in windows]``, the same numbers, sooner: the risk-budgeting
    methods solve every window's ERC in one :func:`erc_weights_many`.

    Args:
        windows: ``(k, n_obs, n_assets)`` windows of daily simple returns.
        spec: as :func:`allocate`.

    Raises:
        as :func:`allocate`, for some window that fails (not necessarily the first: call
        :func:`allocate` window by window to find it).
    """
    if spec.method not in RISK_BUDGETING:
        return [allocate(w, spec) for w in windows]
    parts = _window_covariances(windows, spec)
    if not parts:
        return []
    budgets = parts[0][2]  # from the spec and the number of assets alone: the same for all
    weights = erc_weights_many(np.stack([cov for _, cov, _, _ in parts]), budgets)
    return [
        _risk_budgeted(w, cov, budgets, notes, spec)
        for w, (_, cov, _, notes) in zip(weights, parts, strict=True)
    ]


def _risk_budgeted(w, cov, budgets, notes, spec: AllocationSpec) -> Allocation:
    """The :class:`Allocation` of the unconstrained risk-budgeting weights ``w``: restricted
    to the constraints when they bind (the bounded solve, warm-started from ``w``)."""
    exact = True
    if spec.bounds_may_bind and not spec.constraints.satisfied(w):
        bounded = optimize.constrained_risk_budget(cov, budgets, spec.constraints, w)
        w, exact = bounded.weights, False
        binding = f" ({', '.join(bounded.binding)})" if bounded.binding else ""
        notes += (f"constraints bind{binding}: risk contributions differ from the budgets",)
    return _scaled(w, cov, budgets, exact, notes, spec)


def _scaled(w, cov, budgets, exact: bool, notes, spec: AllocationSpec) -> Allocation:
    """Volatility targeting applied to the weights ``w`` (``(n_assets,)``)."""
    scale = volatility_scale(w, cov, spec.target_volatility, spec.max_gross)
    ignored = spec.budgets is not None and spec.method != "risk-budget"
    if scale == 1.0:  # w·1 is w
        return Allocation(w, cov, budgets, exact, scale, ignored, notes)
    return Allocation(w * scale, cov, budgets, exact, scale, ignored, notes, w)


def _feasible_as_is(method: str, raw: np.ndarray, bind: bool) -> bool:
    """Whether ``raw`` weights ``(n_assets,)`` of a heuristic method certainly meet bounds
    that cannot bind (``0 ≤ w ≤ 1``, sum 1), so that projecting them would return them: the
    weights of inverse-vol and equal-weight are positive and normalised, HRP's too when
    finite; fixed weights may be negative."""
    if bind or method == "fixed":
        return False
    return method != "hrp" or math.isfinite(raw.sum())


def _heuristic_weights(
    method: str, cov: np.ndarray, fixed: np.ndarray | None, n: int
) -> np.ndarray:
    """Weights of the methods that need no optimiser, ``(n_assets,)`` summing to 1.

    Raises:
        ValueError: ``fixed`` without weights, or weights that do not sum to more than 0.
    """
    if method == "inverse-vol":
        return inverse_vol_weights(cov)
    if method == "hrp":
        return hrp_weights(cov)
    if method == "equal-weight":
        return np.full(n, 1.0 / n)
    if fixed is None or not np.asarray(fixed, dtype=float).sum() > 0:
        raise ValueError("method fixed needs a weight > 0 on the assets, summing to about 1")
    fixed = np.asarray(fixed, dtype=float)
    return fixed / fixed.sum()


def volatility_scale(
    weights: np.ndarray, cov: np.ndarray, target_volatility: float | None, max_gross: float
) -> float:
    """Multiplier bringing annualised volatility ``sqrt(252·w'Σw)`` to ``target_volatility``,
    capped so the gross exposure ``Σ|w|·k`` stays ≤ ``max_gross`` (1 = no leverage).

    Returns 1 (capped by ``max_gross``) when no target is set.
    """
    gross = float(np.abs(weights).sum())
    cap = max_gross / gross if gross > 0 else 1.0
    if not target_volatility:
        return min(1.0, cap)
    vol = float(np.sqrt(weights @ cov @ weights * TRADING_DAYS))
    return min(target_volatility / vol, cap) if vol > 0 else min(1.0, cap)
