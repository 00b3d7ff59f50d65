"""Portfolio risk: decomposition by asset, diversification, and value at risk three ways.

Sources: risk contributions after Maillard, Roncalli & Teiletche (2010); diversification
ratio after Choueifaty & Coignard (2008), "Toward Maximum Diversification", JPM 35(1);
effective number of bets after Meucci (2009), "Managing Diversification", Risk 22(5);
VaR after Jorion, "Value at Risk" (3rd ed., 2007); CVaR (expected shortfall) after
Rockafellar & Uryasev (2000), "Optimization of conditional value-at-risk", J. Risk 2(3).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from rp_tui.domain.metrics import TRADING_DAYS
from rp_tui.domain.mixture import fit_gaussian_mixture

MONTH_DAYS = 21
VAR_METHODS = ("historical", "parametric", "monte-carlo")


@dataclass(frozen=True)
class RiskDecomposition:
    """Where a portfolio's volatility comes from. Annualised fractions (√252).

    Attributes:
        volatility: each asset's volatility, ``(n_assets,)``.
        marginal: ∂σ_p/∂w_i, ``(n_assets,)``.
        contribution: w_i · ∂σ_p/∂w_i, ``(n_assets,)``; sums to ``portfolio_volatility``.
        share: contribution / σ_p, ``(n_assets,)``; sums to 1 (the share of variance).
        portfolio_volatility: σ_p of the weights as given (cash has no risk).
        diversification_ratio: Σ w_i σ_i / σ_p (1 for a single asset).
        effective_bets: exp of the entropy of ``share`` (n for equal risk contributions).
        effective_bets_pca: Meucci's: exp of the entropy of the variance shares of the
            principal portfolios.
    """

    volatility: np.ndarray
    marginal: np.ndarray
    contribution: np.ndarray
    share: np.ndarray
    portfolio_volatility: float
    diversification_ratio: float
    effective_bets: float
    effective_bets_pca: float


def _entropy_exp(p: np.ndarray) -> float:
    p = np.clip(np.asarray(p, dtype=float), 0.0, None)
    p = p[p > 0] / p.sum()
    return float(np.exp(-(p * np.log(p)).sum()))


def risk_decomposition(weights: np.ndarray, cov: np.ndarray) -> RiskDecomposition:
    """Decompose the risk of ``weights`` ``(n_assets,)`` under a daily covariance.

    Weights need not sum to 1: the rest is cash, which adds no risk.

    Raises:
        ValueError: a zero portfolio variance.
    """
    w = np.asarray(weights, dtype=float)
    annual = np.asarray(cov, dtype=float) * TRADING_DAYS
    sigma_w = annual @ w
    vol = float(np.sqrt(w @ sigma_w))
    if not vol > 0:
        raise ValueError("the portfolio has no risk: every weight is zero")
    marginal = sigma_w / vol
    contribution = w * marginal
    asset_vol = np.sqrt(np.diag(annual))
    eigenvalues, eigenvectors = np.linalg.eigh(annual)
    principal = (eigenvectors.T @ w) ** 2 * eigenvalues  # variance of each principal bet
    return RiskDecomposition(
        volatility=asset_vol,
        marginal=marginal,
        contribution=contribution,
        share=contribution / vol,
        portfolio_volatility=vol,
        diversification_ratio=float(np.abs(w) @ asset_vol / vol),
        effective_bets=_entropy_exp(contribution / vol),
        effective_bets_pca=_entropy_exp(principal),
    )


@dataclass(frozen=True)
class VarEstimate:
    """Loss not exceeded with probability ``confidence`` over ``horizon_days`` (``var``),
    and the mean loss beyond it (``cvar``): positive fractions of portfolio value."""

    method: str
    confidence: float
    horizon_days: int
    var: float
    cvar: float


def _tail(returns: np.ndarray, confidence: float) -> tuple[float, float]:
    cut = np.quantile(returns, 1.0 - confidence)
    return float(-cut), float(-returns[returns <= cut].mean())


def value_at_risk(
    returns: np.ndarray,
    weights: np.ndarray,
    confidences: tuple[float, ...] = (0.95, 0.99),
    horizons: tuple[int, ...] = (1, MONTH_DAYS),
    methods: tuple[str, ...] = VAR_METHODS,
    paths: int = 5_000,
    seed: int = 0,
    components: int = 2,
) -> list[VarEstimate]:
    """VaR and CVaR of fixed ``weights`` by each method, confidence and horizon.

    - historical: the empirical quantile of the portfolio's daily returns; for h days, of
      its overlapping h-day compounded returns over the same history;
    - parametric: normal, with the daily mean and volatility scaled by h and √h;
    - monte-carlo: a Gaussian mixture fitted to the assets' daily return vectors, ``paths``
      scenarios of h days drawn from it (seeded: the same seed gives the same numbers),
      compounded per asset, then weighted.

    Args:
        returns: daily simple returns ``(n_obs, n_assets)``.
        weights: ``(n_assets,)`` fractions of portfolio value (the rest is cash).

    Returns:
        One :class:`VarEstimate` per (method, confidence, horizon), in that order.

    Raises:
        ValueError: an unknown method or too short a history for a horizon.
    """
    returns, w = np.asarray(returns, dtype=float), np.asarray(weights, dtype=float)
    daily = returns @ w
    out: list[VarEstimate] = []
    simulated = None
    for method in methods:
        if method not in VAR_METHODS:
            raise ValueError(f"unknown VaR method {method!r}; choose {', '.join(VAR_METHODS)}")
        if method == "monte-carlo":
            mixture = fit_gaussian_mixture(returns, components, seed)
            rng = np.random.default_rng(seed)
            longest = max(horizons)
            draws = mixture.sample(paths * longest, rng).reshape(paths, longest, -1)
            simulated = np.cumprod(1.0 + draws, axis=1) - 1.0  # per asset, per day
        for h in horizons:
            if method == "historical":
                if len(daily) <= h:
                    raise ValueError(f"{len(daily)} days are too few for a {h}-day VaR")
                growth = np.concatenate(([1.0], np.cumprod(1.0 + daily)))
                sample = growth[h:] / growth[:-h] - 1.0
            elif method == "monte-carlo":
                sample = simulated[:, h - 1, :] @ w
            for confidence in confidences:
                if method == "parametric":
                    mu, sigma = daily.mean() * h, daily.std(ddof=1) * np.sqrt(h)
                    z = NormalDist().inv_cdf(confidence)
                    var = z * sigma - mu
                    cvar = sigma * NormalDist().pdf(z) / (1.0 - confidence) - mu
                else:
                    var, cvar = _tail(sample, confidence)
                out.append(VarEstimate(method, confidence, h, float(var), float(cvar)))
    return out


def correlation(cov: np.ndarray) -> np.ndarray:
    """Correlation matrix ``(n, n)`` of a covariance, for the heatmap."""
    vol = np.sqrt(np.diag(cov))
    return np.asarray(cov) / np.outer(vol, vol)
