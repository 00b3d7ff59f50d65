"""Order sizing without frictions: the stages of :func:`rp_tui.domain.rebalance.plan_rebalance`
after the wanted trade values, when nothing costs, shares are fractional and every listing is
in the base currency (bt's rules; sweeps' ``--fees none --fractional`` points).

The same arithmetic as the general stages, in fewer array operations: each stage that cannot
change a number under these rules is left out, and why is said where it would be. In the
general stages, with a free fee table, no slippage (buy, sell and reference prices are one
array), ``fx`` the scalar 1 and no currency groups:

* every commission is an array of zeros, and ``x + 0``, ``x − 0``, ``x·1`` are ``x`` (only
  the sign of a zero may differ, which no comparison or sum can see);
* the minimum-trade, commission-ratio and economic skips are off (their rules are off), as
  are the worthless-sale check (nothing costs), the sell-only rounding and the leftover
  top-up (both whole-share only);
* ``fit_buys`` returns the buys unchanged when they fit the budget, zeros when the budget is
  ≤ 0, and scales them once by ``budget / cost · (1 − 1e-12)`` (kept when they then fit: its
  usual answer, taken here; otherwise it is called as it is);
* the last stage (:func:`~rp_tui.domain.sizing_checks.finish_orders` without top-up) keeps
  the orders when the cash after them is at the floor or above, unless they leave the
  account further from target than holding: that test is computed here as
  :class:`~rp_tui.domain.sizing_checks.Account` computes it; when the cash is below the
  floor, the general stage runs as it is.
"""

from __future__ import annotations

import math

import numpy as np

from rp_tui.domain.fee_model import FeeTable
from rp_tui.domain.share_fitting import fit_buys
from rp_tui.domain.sizing_checks import CASH_EPS, Account, finish_orders

# ndarray.sum's and .any()'s answers without their Python wrappers (~1 µs a call on a plan's
# short arrays), and 0 as a 0-d operand (numpy 2 converts a Python scalar at every call)
_sum, _any, _ZERO = np.add.reduce, np.count_nonzero, np.zeros(())


def frictionless(rules, fees: FeeTable, fx, frozen, currency_groups) -> bool:
    """True when :func:`frictionless_orders` sizes exactly as the general stages: a free
    fee table, fractional shares, no slippage, skip rules off, no FX, no frozen asset.

    Args:
        rules: the :class:`~rp_tui.domain.rebalance.RebalanceRules`.
        fees, fx, frozen, currency_groups: as given to ``plan_rebalance``.
    """
    return (
        fees.free
        and fx is None
        and frozen is None
        and currency_groups is None
        and not rules.whole_shares
        and not rules.slippage_bp / 10_000.0
        and rules.min_trade_value <= 0
        and not math.isfinite(rules.max_commission_ratio)
        and not rules.skip_uneconomic
    )


def frictionless_orders(
    held: np.ndarray,
    prices: np.ndarray,
    cash: float,
    values: np.ndarray,
    delta: np.ndarray,
    target_values: np.ndarray,
    nav: float,
    reserve: float,
    fees: FeeTable,
) -> tuple[np.ndarray, float]:
    """Signed fractional shares that move each asset by ``delta``, as far as holdings and cash
    allow (sells first), under :func:`frictionless` rules, and the cash after them.

    Args:
        held: shares held, ``(n_assets,)``. prices: per share, base currency, ``(n_assets,)``.
        cash: base currency. values: ``held × prices``, ``(n_assets,)``.
        delta: wanted change of each asset's value, base currency, ``(n_assets,)``.
        target_values: wanted value of each asset after trading, ``(n_assets,)``.
        nav: cash + Σ values. reserve: cash that must remain (buffer and withdrawal).
        fees: the (free) fee table.

    Returns:
        ``(n_assets,)`` signed shares (> 0 buy) and the cash after them (base currency): the
        general stages' orders and ``RebalancePlan.cash_after``, bit for bit.
    """
    shares = delta / prices
    sells = np.minimum(np.maximum(-shares, _ZERO), held)
    buys = np.maximum(shares, _ZERO)
    after_sells = cash + float(_sum(sells * prices))
    budget = min(after_sells - reserve, after_sells)
    if budget <= 0.0:
        buys = np.zeros_like(buys)
    else:
        total = float(_sum(buys * prices))
        if total > budget:  # fit_buys' first scaling, which nearly always fits (else its rest)
            scaled = buys * (budget / total) * (1.0 - 1e-12)
            fits = float(_sum(scaled * prices)) <= budget
            buys = scaled if fits else fit_buys(buys, prices, 1.0, fees, budget, False)[0]
    signed = buys - sells
    left = cash - float(_sum(signed * prices))  # Account.cash_after
    targeted = float(_sum(target_values))
    if left < reserve - CASH_EPS:  # buys are trimmed to the floor: the general stage
        account = Account(
            held, prices, prices, prices, np.ones(prices.shape), cash, target_values,
            nav - targeted, fees,
        )  # fmt: skip
        signed, _ = finish_orders(signed, account, reserve, None, _unused)
        return signed, cash - float(_sum(signed * prices))
    if not _any(signed):
        return signed, left
    # Account.goal, .hold_distance() and .distance() (unit values are the prices: fx is 1), the
    # two states as the rows of one array: each row's sum is the 1-D sum of that row
    n = len(held)
    rows = np.empty((3, n + 1))
    rows[0, :n], rows[0, n] = target_values, nav - targeted
    goal = rows[0] / (targeted + (nav - targeted))
    rows[1, :n], rows[1, n] = values, cash  # holding
    np.multiply(held + signed, prices, out=rows[2, :n])  # after trading
    rows[2, n] = left
    states = rows[1:]
    totals = _sum(states, axis=1, keepdims=True)
    hold, distance = _sum(np.abs(states / totals - goal), axis=1).tolist()
    if not totals[0, 0] > 0:
        hold = np.inf
    if not totals[1, 0] > 0:
        distance = float("inf")
    if distance > hold + 1e-12:  # not trading is closer to target than this plan
        return np.zeros_like(signed), cash - 0.0
    return signed, left


def _unused(orders: np.ndarray) -> np.ndarray:  # pragma: no cover - top-up is off
    """The minimum-trade rules, asked only by the top-up (whole shares): every order passes."""
    return np.ones(np.shape(orders), dtype=bool)
