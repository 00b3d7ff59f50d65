"""Commission model: one resolved schedule per asset, evaluated vectorised.

The figures are data (``rp_tui/data/fees.toml``, each with its source address, date and
confidence); :mod:`rp_tui.inputs.fee_data` resolves them for a listing, a route and a trade
date into :class:`FeeSchedule` records, and this module only evaluates them. One order of
``q`` shares at price ``p`` (value ``v = q·p``, listing currency) costs, line by line:

* commission ``min(max(per_share·q + rate_of_value·v + tiered, minimum), cap)`` with
  ``cap = min(max_rate_of_value·v, maximum)``: the cap wins over the minimum (IBKR
  "Commissions Stocks, ETFs and Warrants": 1,000 @ USD 0.25 = USD 2.50,
  interactivebrokers.com/en/pricing/commissions-stocks.php, read 2026-12-01). ``tiered`` adds
  volume tiers applied marginally from the month-to-date volume (shares or value); the
  minimum is ``fractional_minimum`` when the quantity is not whole (USD 0.01 on that page);
* exchange ``exchange_per_share·q + max(extra_rate_of_value·v, extra_minimum)`` (negative
  per-share rate: a liquidity rebate), clearing ``extra_per_share·q + extra_per_order``,
  pass-through ``pass_through_rate·commission`` (IBKR Tiered: NYSE and FINRA);
* regulatory, after the cap: on sales the SEC Section 31 fee ``sell_rate_of_value·v`` and the
  FINRA TAF ``min(sell_per_share·q, sell_maximum)``; on buys and sales the CAT fee
  ``cat_per_share·q``.

Lines are not rounded: IBKR does not publish a rounding rule for regulatory fees, its
knowledge base computes the SEC fee unrounded ("$0.0000218 × $25.87 × 1,000 = $0.563966",
ibkr.info "SEC transaction fee" article, FY2016 rate) and its worked examples (e.g. sell
200,000 @ USD 5 Tiered = USD 1,355.78, interactivebrokers.ca/en/index.php?f=713) equal the
unrounded sum rounded to the cent. Round the total for display.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_FRACTION_EPS = 1e-9  # shares: float noise is not a fractional order
# 0 as a 0-d array: numpy 2 converts a Python scalar operand on every call (~0.2 µs of a
# ~0.5 µs operation on a plan's short arrays); the answers are the same
_ZERO = np.zeros(())


@dataclass(frozen=True)
class FeeSchedule:
    """One asset's resolved commission schedule; amounts in the listing ``currency``.

    Attributes:
        key, name: identifier (e.g. ``"ibkr-fixed-us"``) and human name.
        currency: currency of every amount below (the listing's trading currency).
        per_share: commission per share (USD 0.005 Fixed US).
        rate_of_value: commission as a fraction of trade value (0.0005 = 5 bp).
        minimum: minimum commission per order; ``fractional_minimum`` replaces it for orders
            that are not whole shares (``None`` = same as ``minimum``).
        max_rate_of_value, maximum: cap per order, fraction of value and amount (``inf``).
        tiers: ``((threshold, rate), …)`` volume tiers applied marginally: ``rate`` per
            share (``tier_unit = "shares"``) or fraction of value (``"value"``) for the part
            of the month's volume from ``threshold`` to the next threshold.
        month_to_date: volume traded this month before this order, in ``tier_unit``.
        sell_rate_of_value: SEC Section 31 fee on sales, fraction of proceeds (USD 22.90 per
            million = 0.0000229).
        sell_per_share, sell_maximum: FINRA TAF per share sold and its cap per order.
        cat_per_share: FINRA CAT fee per share, buys and sells.
        pass_through_rate: third-party fees as a fraction of the commission.
        exchange_per_share: estimated venue fee per share (< 0: rebate).
        extra_per_share: clearing per share (NSCC, DTC: USD 0.0002).
        extra_rate_of_value, extra_minimum: exchange fee as a fraction of value with its own
            minimum per order (LSE ETFs: 0.45 bp, at least GBP 0.10).
        extra_per_order: flat fee per order (LSE clearing).
        source, as_of, confidence: where the figures come from (V verified on the source,
            S secondary source, U unverified).
        notes: assumptions and unverified figures the preview shows for this asset.
    """

    key: str
    name: str
    currency: str
    per_share: float = 0.0
    rate_of_value: float = 0.0
    minimum: float = 0.0
    max_rate_of_value: float = math.inf
    maximum: float = math.inf
    sell_per_share: float = 0.0
    sell_maximum: float = math.inf
    pass_through_rate: float = 0.0
    extra_per_share: float = 0.0
    extra_rate_of_value: float = 0.0
    extra_minimum: float = 0.0
    extra_per_order: float = 0.0
    source: str = ""
    as_of: str = ""
    confidence: str = ""
    fractional_minimum: float | None = None
    tiers: tuple[tuple[float, float], ...] = ()
    tier_unit: str = "shares"
    month_to_date: float = 0.0
    sell_rate_of_value: float = 0.0
    cat_per_share: float = 0.0
    exchange_per_share: float = 0.0
    notes: tuple[str, ...] = ()


NO_FEES = FeeSchedule(key="none", name="No commission", currency="")

LINES = ("commission", "exchange", "clearing", "pass_through", "sec", "taf", "cat")
"""The lines of :meth:`FeeTable.breakdown`, in the order IBKR's examples list them."""


def _column(schedules: Sequence[FeeSchedule], attr: str) -> np.ndarray:
    return np.array([getattr(s, attr) for s in schedules], dtype=float)


def marginal_tiers(
    before: np.ndarray, units: np.ndarray, thresholds: np.ndarray, rates: np.ndarray
) -> np.ndarray:
    """Charge for ``units`` more volume after ``before`` under marginal tiers.

    Args:
        before, units: ``(n,)`` volume already traded this month and this order's volume.
        thresholds: ``(n, k)`` lower bounds of each tier, increasing, padded with ``inf``.
        rates: ``(n, k)`` rate per unit within each tier (0 in padding).

    Returns:
        ``(n,)`` ``Σ_k rate_k · |[before, before + units] ∩ [t_k, t_k+1)|``.
    """
    upper = np.concatenate([thresholds[:, 1:], np.full((len(thresholds), 1), np.inf)], axis=1)
    finite = np.isfinite(thresholds)
    width = np.where(finite, upper - np.where(finite, thresholds, 0.0), 0.0)
    start = before[:, None] - np.where(finite, thresholds, np.inf)
    end = start + units[:, None]
    inside = np.clip(end, 0.0, width) - np.clip(start, 0.0, width)
    return (rates * inside).sum(axis=1)


class FeeTable:
    """The fee schedules of a portfolio's assets, one per asset, evaluated vectorised.

    Args:
        schedules: one :class:`FeeSchedule` per asset, in asset order. ``FeeTable`` of a
            subset of ``schedules`` prices those assets identically (the broker resizes buys
            with one).
    """

    def __init__(self, schedules: Sequence[FeeSchedule]):
        self.schedules = tuple(schedules)
        s = self.schedules
        self._per_share = _column(s, "per_share")
        self._rate = _column(s, "rate_of_value")
        self._minimum = _column(s, "minimum")
        fractional = [
            x.minimum if x.fractional_minimum is None else x.fractional_minimum for x in s
        ]
        self._fractional_minimum = np.array(fractional, dtype=float)
        self._max_rate = _column(s, "max_rate_of_value")
        self._maximum = _column(s, "maximum")
        self._sell_rate = _column(s, "sell_rate_of_value")
        self._sell_per_share = _column(s, "sell_per_share")
        self._sell_maximum = _column(s, "sell_maximum")
        self._cat = _column(s, "cat_per_share")
        self._pass_through = _column(s, "pass_through_rate")
        self._exchange_per_share = _column(s, "exchange_per_share")
        self._extra_per_share = _column(s, "extra_per_share")
        self._extra_rate = _column(s, "extra_rate_of_value")
        self._extra_minimum = _column(s, "extra_minimum")
        self._extra_per_order = _column(s, "extra_per_order")
        self._month_to_date = _column(s, "month_to_date")
        self._tier_on_value = np.array([x.tier_unit == "value" for x in s], dtype=bool)
        self._value_tiers = bool(self._tier_on_value.any())
        width = max((len(x.tiers) for x in s), default=0)
        thresholds = np.full((len(s), width), np.inf)
        self._tier_rates = np.zeros((len(s), width))
        for i, x in enumerate(s):
            for k, (threshold, rate) in enumerate(x.tiers):
                thresholds[i, k], self._tier_rates[i, k] = threshold, rate
        # marginal tiers, precomputed: volume v is charged Σ_k rate_k·clip(v − t_k, 0, w_k);
        # the month-to-date part is subtracted once (see marginal_tiers)
        finite = np.isfinite(thresholds)
        upper = np.concatenate([thresholds[:, 1:], np.full((len(s), 1), np.inf)], axis=1)
        self._tier_width = np.where(finite, upper - np.where(finite, thresholds, 0.0), 0.0)
        self._tier_start = thresholds
        self._tier_done = marginal_tiers(
            np.zeros(len(s)), self._month_to_date, thresholds, self._tier_rates
        )
        # which terms can change a result: the others are skipped (x + 0·v is x, min(x, ∞) is x)
        self._has_rate = bool(self._rate.any())
        self._has_maximum = bool(np.isfinite(self._maximum).any())
        self._has_taf_cap = bool(np.isfinite(self._sell_maximum).any())
        self._has_cat = bool(self._cat.any())
        self._finite_rate = bool(np.isfinite(self._max_rate).all())
        self._uncapped = not (np.isfinite(self._max_rate).any() or np.isfinite(self._maximum).any())
        self._zeros = np.zeros(len(s))
        self._zeros.flags.writeable = False  # shared: callers only read commissions
        self._tiered = bool(self._tier_rates.any())
        self._fractional = bool((self._fractional_minimum != self._minimum).any())
        self._third_party = any(
            c.any()
            for c in (
                self._pass_through,
                self._exchange_per_share,
                self._extra_per_share,
                self._extra_rate,
                self._extra_minimum,
                self._extra_per_order,
            )
        )
        self._regulatory = any(c.any() for c in (self._sell_rate, self._sell_per_share, self._cat))
        charges = (self._per_share, self._rate, self._minimum, self._fractional_minimum)
        self._free = not (
            self._tiered or self._third_party or self._regulatory or any(c.any() for c in charges)
        )
        self._whole_orders: FeeTable | None = None  # see for_whole_shares

    @property
    def free(self) -> bool:
        """True when no schedule charges anything (every commission is 0)."""
        return self._free

    def for_whole_shares(self) -> FeeTable:
        """This table for orders known to be whole shares: the same commissions, without
        testing each order for a fractional quantity (whose minimum cannot apply). Made once
        per table; callers must only price whole quantities with it."""
        if not self._fractional:
            return self
        if self._whole_orders is None:
            whole = copy.copy(self)  # the same (read-only) arrays
            whole._fractional = False
            self._whole_orders = whole
        return self._whole_orders

    @property
    def notes(self) -> tuple[tuple[str, ...], ...]:
        """Per asset: assumptions and unverified figures behind its estimate (strings)."""
        return tuple(s.notes for s in self.schedules)

    @property
    def confidence(self) -> tuple[str, ...]:
        """Per asset: the schedule's confidence (V verified, S secondary, U unverified)."""
        return tuple(s.confidence for s in self.schedules)

    def _commission(self, shares: np.ndarray, value: np.ndarray) -> np.ndarray:
        """The broker's own commission per order, after minimum and cap (listing currency)."""
        base = self._per_share * shares
        if self._has_rate:
            base = base + self._rate * value
        if self._tiered:
            units = np.where(self._tier_on_value, value, shares) if self._value_tiers else shares
            volume = (self._month_to_date + units)[..., None] - self._tier_start
            inside = np.minimum(np.maximum(volume, 0.0), self._tier_width)
            base = base + (self._tier_rates * inside).sum(axis=-1) - self._tier_done
        minimum = self._minimum
        if self._fractional:
            whole = np.abs(shares - np.rint(shares)) <= _FRACTION_EPS  # np.round's, sooner
            minimum = np.where(whole, self._minimum, self._fractional_minimum)
        floored = np.maximum(base, minimum)
        if self._uncapped:  # min(x, inf) is x: skip the cap's arithmetic
            return floored
        if self._finite_rate:
            if not self._has_maximum:
                return np.minimum(floored, self._max_rate * value)
            return np.minimum(floored, np.minimum(self._max_rate * value, self._maximum))
        with np.errstate(invalid="ignore"):  # inf cap × 0 value: masked out by the caller
            cap = np.minimum(self._max_rate * value, self._maximum)
        return np.minimum(floored, cap)

    def breakdown(self, quantities: np.ndarray, prices: np.ndarray) -> dict[str, np.ndarray]:
        """Every line of the estimate, as IBKR's examples list them.

        Args:
            quantities: signed shares ``(n_assets,)``; > 0 buy, < 0 sell.
            prices: price per share in each listing's currency, ``(n_assets,)``.

        Returns:
            ``{line: (n_assets,)}`` for each of :data:`LINES`, listing currency, unrounded;
            their sum is :meth:`commission`.
        """
        quantities = np.asarray(quantities, dtype=float)
        shares = np.abs(quantities)
        value = shares * np.asarray(prices, dtype=float)
        traded = shares > 0
        sold = quantities < 0
        commission = self._commission(shares, value)
        lines = {
            "commission": commission,
            "exchange": self._exchange_per_share * shares
            + np.maximum(self._extra_rate * value, self._extra_minimum),
            "clearing": self._extra_per_share * shares + self._extra_per_order,
            "pass_through": self._pass_through * commission,
            "sec": np.where(sold, self._sell_rate * value, 0.0),
            "taf": np.where(
                sold, np.minimum(self._sell_per_share * shares, self._sell_maximum), 0.0
            ),
            "cat": self._cat * shares,
        }
        return {k: np.where(traded, v, 0.0) for k, v in lines.items()}

    def commission(self, quantities: np.ndarray, prices: np.ndarray) -> np.ndarray:
        """Estimated cost of one order per asset: commission plus third-party fees.

        Args:
            quantities: signed shares, shape ``(n_assets,)``; > 0 buy, < 0 sell, 0 no order.
                Also ``(m, n_assets)``: m order vectors at once (each element priced as it
                would be alone: the arithmetic is elementwise).
            prices: reference price per share in each listing's currency, ``(n_assets,)``
                (or broadcastable to ``quantities``).

        Returns:
            Cost per order in each listing's currency, the shape of ``quantities``,
            unrounded; 0 where the quantity is 0.
        """
        quantities = np.asarray(quantities, dtype=float)
        # no schedule charges anything (sweeps, tests), or no order at all (a plan without
        # sales, ~8 % of a sweep's calls): skip the arithmetic
        if self._free or not np.count_nonzero(quantities):
            return self._zeros if quantities.ndim == 1 else np.zeros(quantities.shape)
        shares = np.abs(quantities)
        value = shares * np.asarray(prices, dtype=float)
        total = self._commission(shares, value)
        if self._third_party:
            total = (
                total
                + self._pass_through * total
                + (self._exchange_per_share + self._extra_per_share) * shares
                + np.maximum(self._extra_rate * value, self._extra_minimum)
                + self._extra_per_order
            )
        if self._regulatory:
            sold = np.less(quantities, _ZERO)
            # sales only: with none, nothing is added; count_nonzero is ndarray.any's answer
            # ~1 µs sooner
            if np.count_nonzero(sold):
                taf = self._sell_per_share * shares
                if self._has_taf_cap:
                    taf = np.minimum(taf, self._sell_maximum)
                # (total is this call's own array: the sales' fees are added in place). A
                # fee × False is 0 and x + 0 is x: the sum where=sold gives, ~2 µs sooner
                total += (self._sell_rate * value + taf) * sold
            if self._has_cat:
                total += self._cat * shares
        return np.where(np.greater(shares, _ZERO), total, _ZERO)
