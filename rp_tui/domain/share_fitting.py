"""Turning amounts of money into shares: buys that fit a budget, a sum split over gaps
largest first, sells that raise a reserve in full. Used by the order sizer and by the
execution path (buys resized on the cash the sells brought)."""

from __future__ import annotations

import numpy as np

from rp_tui.domain.fee_model import FeeTable

# ndarray.sum's and .any()'s answers without their Python wrappers (~1 µs a call on short
# arrays): the same sums, and a count that is truthy exactly when any element is
_sum, _any = np.add.reduce, np.count_nonzero


def fit_buys(
    buys: np.ndarray, prices: np.ndarray, fx: np.ndarray, fees: FeeTable, budget: float, whole: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Shrink buy quantities until Σ (value + commission) in base currency ≤ ``budget``.

    Args:
        buys: shares to buy per asset, ``(n_assets,)``, ≥ 0 (modified copy returned).
        prices: listing-currency prices; fx: base per listing currency; both ``(n_assets,)``.
        fees: commission schedules; budget: base currency; whole: whole shares only.

    Returns:
        Quantities, ``(n_assets,)``, each ≤ the input, whose cost fits ``budget``, and their
        commissions at ``prices`` (``fees.commission``, listing currency), priced while
        fitting: callers need not price them again.
    """
    buys = np.array(buys, dtype=float)
    free, unit_fx = fees.free, getattr(fx, "ndim", 0) == 0 and fx == 1.0  # (np.ndim's test)

    def cost(q: np.ndarray) -> tuple[float, np.ndarray]:
        """Σ value + commission of ``q`` in base currency, and the commissions."""
        commissions = fees.commission(q, prices)
        value = q * prices if free else q * prices + commissions  # x + 0 is x
        return float(_sum(value if unit_fx else value * fx)), commissions  # x·1 is x

    if budget <= 0.0:
        return np.zeros_like(buys), np.zeros_like(buys)  # nothing bought pays nothing
    total, priced = cost(buys)
    for _ in range(50):  # proportional scaling; the minimum commission makes cost non-linear
        if total <= budget:
            return buys, priced
        scaled = buys * (budget / total)
        buys = np.floor(scaled) if whole else scaled * (1.0 - 1e-12)
        total, priced = cost(buys)
        if not whole and total <= budget:
            return buys, priced
    while total > budget and _any(buys):  # whole shares: trim the largest buy one share at a time
        largest = int(np.argmax(buys * prices * fx))
        buys[largest] -= 1.0 if whole else buys[largest]
        total, priced = cost(buys)
    return buys, priced


def water_fill(gaps: np.ndarray, amount: float) -> np.ndarray:
    """Split ``amount`` over ``gaps`` (≥ 0), largest gaps first: every funded gap is cut to
    one common level, so the most underweight (or overweight) asset is served first.

    Args:
        gaps: ``(n,)`` amounts wanted; amount: total available (same currency).

    Returns:
        ``(n,)`` with ``0 ≤ out ≤ gaps`` and ``Σ out = min(amount, Σ gaps)``.
    """
    gaps = np.maximum(np.asarray(gaps, dtype=float), 0.0)
    if amount <= 0:
        return np.zeros_like(gaps)
    if amount >= _sum(gaps):
        return gaps
    ordered = np.sort(gaps)[::-1]
    funded = (np.cumsum(ordered) - amount).tolist()  # Σ of the k+1 largest, less the amount
    ordered = ordered.tolist()  # Python floats: the same arithmetic, without numpy scalars
    level = 0.0
    for k in range(len(ordered)):
        level = funded[k] / (k + 1)
        if k + 1 == len(ordered) or level >= ordered[k + 1]:
            break
    return np.maximum(gaps - level, 0.0)


def raise_in_full(sells, held, values, target_values, allowed, reserve, cash, prices, fx, fees):
    """Sell one more share at a time, from the asset furthest above its target, until the
    sales less their commissions bring cash up to ``reserve`` (or nothing is left to sell).
    Arrays ``(n_assets,)``; money in base currency. Returns the new sell quantities (≥ 0)."""
    sells = sells.copy()
    movable = np.asarray(allowed, dtype=bool) & (held > 0)
    for _ in range(int(held.sum()) + 1):
        proceeds = (sells * prices - fees.commission(-sells, prices)) * fx
        if cash + float(proceeds.sum()) >= reserve - 1e-9:
            break
        left = movable & (sells < held)
        if not left.any():
            break
        over = np.where(left, values - sells * prices * fx - target_values, -np.inf)
        sells[int(np.argmax(over))] += 1.0
    return sells
