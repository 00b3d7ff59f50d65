"""Currency-conversion commission (IBKR IDEALPRO), one conversion per currency.

Rule (IBKR "Forex – Pricing Structure", interactivebrokers.com/en/index.php?f=commission&p=fx1,
read 2026-12-01): commission = rate × trade value, at least a minimum per order; both fall
with the month's conversion volume (USD): ≤ 1bn 0.20 bp, min USD 2.00; 1–2bn 0.15 bp, min
USD 1.50; 2–5bn 0.10 bp, min USD 1.25; > 5bn 0.08 bp, min USD 1.00, applied marginally (the
page's example: USD 1.25bn in a month = USD 20,000 + USD 3,750 = USD 23,750).

A rebalance that sells EUR listings and buys GBP listings makes two conversions (EUR → base,
base → GBP), each with its own minimum, not one net flow; buying and selling within GBP
needs none. Flows are in the account's base currency; tier thresholds and minimums in USD.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Tier = tuple[float, float, float]
"""``(monthly volume threshold USD, rate as a fraction of value, minimum per order USD)``."""

IDEALPRO_TIERS: tuple[Tier, ...] = (
    (0.0, 0.00002, 2.00),
    (1e9, 0.000015, 1.50),
    (2e9, 0.00001, 1.25),
    (5e9, 0.000008, 1.00),
)
"""IBKR IDEALPRO tiers (the page above, V); the app reads them from ``fees.toml``."""


def currency_groups(currencies: Sequence[str], base: str) -> np.ndarray:
    """``(n_assets,)`` int: a group per foreign currency (0, 1, …), ``-1`` for ``base``."""
    foreign = sorted({c for c in currencies if c != base})
    return np.array([foreign.index(c) if c != base else -1 for c in currencies], dtype=int)


def currency_flows(
    signed: np.ndarray,
    buy_prices: np.ndarray,
    sell_prices: np.ndarray,
    fx: np.ndarray | float,
    groups: np.ndarray,
) -> np.ndarray:
    """Net conversion need per foreign currency, base currency.

    Args:
        signed: shares, ``(n_assets,)``; > 0 buy, < 0 sell.
        buy_prices, sell_prices: fill prices, listing currency, ``(n_assets,)``.
        fx: base currency per unit of each listing's currency, ``(n_assets,)`` or scalar.
        groups: :func:`currency_groups`.

    Returns:
        ``(n_groups,)``: > 0 base converted into that currency (net buys), < 0 converted
        back (net sales). Buys and sales in one currency net out.
    """
    signed = np.asarray(signed, dtype=float)
    prices = np.where(signed > 0, buy_prices, sell_prices)
    values = signed * prices * np.asarray(fx, dtype=float)
    foreign = groups >= 0
    n = int(groups.max()) + 1 if foreign.any() else 0
    return np.bincount(groups[foreign], weights=values[foreign], minlength=n)


def conversion_commission(flows: np.ndarray, rate_of_value: float, minimum: float) -> float:
    """Commission of converting each currency's net flow separately, base currency.

    Args:
        flows: net flow per foreign currency, base currency (sign ignored), ``(n,)``.
        rate_of_value: commission as a fraction of value (0.20 bp = 0.00002).
        minimum: minimum per conversion, base currency.

    Returns:
        ``Σ max(rate·|flow|, minimum)`` over the currencies whose flow is not zero.
    """
    size = np.abs(np.asarray(flows, dtype=float))
    size = size[size > 0]
    return float(np.maximum(rate_of_value * size, minimum).sum())


def tiered_conversion_commission(
    flows: np.ndarray,
    tiers: Sequence[Tier] = IDEALPRO_TIERS,
    month_to_date: float = 0.0,
    usd_per_base: float = 1.0,
) -> float:
    """Like :func:`conversion_commission` with IDEALPRO's monthly volume tiers.

    Args:
        flows: net flow per foreign currency, base currency, ``(n,)``.
        tiers: :data:`Tier` rows, thresholds increasing from 0.
        month_to_date: conversion volume this month before these conversions, USD.
        usd_per_base: USD per unit of base currency (1 for a USD account).

    Returns:
        Base-currency commission: each conversion charged marginally across the tiers from
        the running month volume, at least the minimum of the tier it starts in.
    """
    thresholds = np.array([t[0] for t in tiers], dtype=float)
    rates = np.array([t[1] for t in tiers], dtype=float)
    minimums = np.array([t[2] for t in tiers], dtype=float)
    upper = np.append(thresholds[1:], np.inf)
    total_usd, volume = 0.0, float(month_to_date)
    for flow in np.abs(np.asarray(flows, dtype=float)) * usd_per_base:
        if flow <= 0:
            continue
        inside = np.clip(volume + flow, thresholds, upper) - np.clip(volume, thresholds, upper)
        tier = int(np.searchsorted(thresholds, volume, side="right")) - 1
        total_usd += max(float(rates @ inside), float(minimums[max(tier, 0)]))
        volume += flow
    return total_usd / usd_per_base


def order_conversion_fee(
    signed: np.ndarray,
    buy_prices: np.ndarray,
    sell_prices: np.ndarray,
    fx: np.ndarray | float,
    groups: np.ndarray,
    rate_of_value: float,
    minimum: float,
) -> float:
    """Drop-in for order sizing: the conversion commission of an order vector, base currency.

    Args:
        signed, buy_prices, sell_prices, fx: as :func:`currency_flows`.
        groups: :func:`currency_groups` of the listings' currencies and the base currency.
        rate_of_value, minimum: IDEALPRO rate and minimum per conversion (base currency).

    Returns:
        One conversion per foreign currency with a net flow, each at least ``minimum``.
    """
    if rate_of_value <= 0 and minimum <= 0:
        return 0.0
    flows = currency_flows(signed, buy_prices, sell_prices, fx, groups)
    return conversion_commission(flows, rate_of_value, minimum)
