"""Order sizing: from holdings and target weights to whole-share orders that fit the cash.

Rules, in order:
1. NAV = cash + Σ quantity × price × fx (base currency). Target value of an asset =
   target weight × (1 − cash buffer) × NAV, so weights, targets and drift are all fractions
   of NAV.
2. An asset whose |drift| is within the band (absolute, fraction of NAV) is not traded.
3. Sells first: round to the nearest share, never more than held; a sale whose commission
   would eat its proceeds is skipped.
4. Buys are then sized on the cash after sales and their commissions, less the cash buffer:
   round down to whole shares, scale down together if they do not fit, then drop one share at
   a time from the largest buy until buys plus commissions fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rp_tui.domain.fees import FeeTable

_SHARE_EPS = 1e-9  # rounding slack so float noise does not cost a whole share


@dataclass(frozen=True)
class RebalanceRules:
    """How a portfolio is brought back to its targets.

    Attributes:
        band: absolute drift band, a fraction of NAV (0.02 = ±2 percentage points).
        cash_buffer: fraction of NAV kept in cash (0.01 = 1 %).
        whole_shares: trade whole shares only (``False`` allows fractional quantities).
    """

    band: float = 0.0
    cash_buffer: float = 0.0
    whole_shares: bool = True


@dataclass(frozen=True)
class RebalancePlan:
    """The orders of one rebalance; arrays have shape ``(n_assets,)``, in asset order.

    Attributes:
        nav: NAV before trading, base currency.
        weights: current weights, fractions of NAV.
        targets: target weights as fractions of NAV (allocation × (1 − cash buffer)).
        drift: ``weights - targets`` (fraction; × 100 for percentage points).
        quantities: signed shares to trade (> 0 buy, < 0 sell, 0 none).
        notional: ``|quantity| × price`` in each listing's currency.
        commissions: estimated commission per order, listing currency.
        cash_after: cash after every order and commission, base currency.
        total_commission: Σ commissions converted to base currency.
    """

    nav: float
    weights: np.ndarray
    targets: np.ndarray
    drift: np.ndarray
    quantities: np.ndarray
    notional: np.ndarray
    commissions: np.ndarray
    cash_after: float
    total_commission: float


def fit_buys(
    buys: np.ndarray, prices: np.ndarray, fx: np.ndarray, fees: FeeTable, budget: float, whole: bool
) -> np.ndarray:
    """Shrink buy quantities until Σ (value + commission) in base currency ≤ ``budget``.

    Args:
        buys: shares to buy per asset, ``(n_assets,)``, ≥ 0 (modified copy returned).
        prices: listing-currency prices; fx: base per listing currency; both ``(n_assets,)``.
        fees: commission schedules; budget: base currency; whole: whole shares only.

    Returns:
        Quantities, ``(n_assets,)``, each ≤ the input, whose cost fits ``budget``.
    """
    buys = np.array(buys, dtype=float)

    def cost(q: np.ndarray) -> float:
        return float(((q * prices + fees.commission(q, prices)) * fx).sum())

    if budget <= 0.0:
        return np.zeros_like(buys)
    total = cost(buys)
    for _ in range(50):  # proportional scaling; the minimum commission makes cost non-linear
        if total <= budget:
            return buys
        scaled = buys * (budget / total)
        buys = np.floor(scaled) if whole else scaled * (1.0 - 1e-12)
        total = cost(buys)
        if not whole and total <= budget:
            return buys
    while total > budget and buys.any():  # whole shares: trim the largest buy one share at a time
        largest = int(np.argmax(buys * prices * fx))
        buys[largest] -= 1.0 if whole else buys[largest]
        total = cost(buys)
    return buys


def plan_rebalance(
    quantities: np.ndarray,
    prices: np.ndarray,
    cash: float,
    targets: np.ndarray,
    rules: RebalanceRules,
    fees: FeeTable,
    fx: np.ndarray | None = None,
    frozen: np.ndarray | None = None,
) -> RebalancePlan:
    """Size the orders that bring holdings to ``targets`` under ``rules``.

    Args:
        quantities: shares held, shape ``(n_assets,)``, ≥ 0.
        prices: reference price per share in each listing's currency, ``(n_assets,)``, > 0.
        cash: cash in base currency.
        targets: allocation weights, ``(n_assets,)``, summing to 1 (before the cash buffer).
        rules: band, cash buffer, whole shares.
        fees: commission schedules, one per asset.
        fx: base currency per unit of each listing's currency, ``(n_assets,)``; default 1.
        frozen: ``(n_assets,)`` bool, assets that must not be traded (e.g. no fresh price);
            their price still values the holding.

    Returns:
        A :class:`RebalancePlan`. Sells never exceed holdings; buys plus all commissions never
        exceed cash after sales less the buffer (and never make cash negative).

    Raises:
        ValueError: a non-finite or non-positive price, or NAV ≤ 0.
    """
    quantities = np.asarray(quantities, dtype=float)
    prices = np.asarray(prices, dtype=float)
    fx = np.ones_like(prices) if fx is None else np.asarray(fx, dtype=float)
    if not np.all(np.isfinite(prices) & (prices > 0)):
        raise ValueError("every price must be finite and > 0")
    values = quantities * prices * fx
    nav = cash + values.sum()
    if nav <= 0:
        raise ValueError(f"NAV must be > 0 to rebalance, got {nav}")
    weights = values / nav
    targets_nav = np.asarray(targets, dtype=float) * (1.0 - rules.cash_buffer)
    drift = weights - targets_nav
    tradable = np.abs(drift) > rules.band
    if frozen is not None:
        tradable &= ~np.asarray(frozen, dtype=bool)
    delta = np.where(tradable, targets_nav * nav - values, 0.0)
    shares = delta / (prices * fx)
    if rules.whole_shares:
        sells = np.minimum(np.round(np.maximum(-shares, 0.0)), quantities)
        buys = np.floor(np.maximum(shares, 0.0) + _SHARE_EPS)  # 24.9999999 is 25
    else:
        sells = np.minimum(np.maximum(-shares, 0.0), quantities)
        buys = np.maximum(shares, 0.0)

    sell_commissions = fees.commission(-sells, prices)
    worthless = sell_commissions >= sells * prices  # never pay more than a sale brings in
    sells = np.where(worthless, 0.0, sells)
    sell_commissions = np.where(worthless, 0.0, sell_commissions)
    cash_after_sells = cash + float(((sells * prices - sell_commissions) * fx).sum())

    budget = min(cash_after_sells - rules.cash_buffer * nav, cash_after_sells)
    buys = fit_buys(buys, prices, fx, fees, budget, rules.whole_shares)
    signed = buys - sells
    commissions = fees.commission(signed, prices)
    cash_after = cash - float(((signed * prices + commissions) * fx).sum())
    return RebalancePlan(
        nav=float(nav),
        weights=weights,
        targets=targets_nav,
        drift=drift,
        quantities=signed,
        notional=np.abs(signed) * prices,
        commissions=commissions,
        cash_after=cash_after,
        total_commission=float((commissions * fx).sum()),
    )
