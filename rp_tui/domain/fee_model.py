"""Commission model: per-share and per-value schedules with minimum and maximum per order.

The figures themselves are data (``rp_tui/data/fees.toml``, with source and date); this
module only evaluates a schedule. IBKR's rule for a fixed-rate order is
``min(max(per_share × shares + rate × value, minimum), cap)`` where the cap (e.g. 1 % of
trade value for US ETFs) wins over the minimum, as on IBKR's "Commissions Stocks, ETFs and
Warrants" page (interactivebrokers.com/en/pricing/commissions-stocks.php, read 2026-11).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FeeSchedule:
    """One commission schedule, amounts in the listing ``currency``.

    Attributes:
        key: identifier, e.g. ``"ibkr-fixed-us"``.
        name: human name shown in the UI.
        currency: currency of every amount below (the currency the listing trades in).
        per_share: commission per share (e.g. 0.005 USD).
        rate_of_value: commission as a fraction of trade value (e.g. 0.0005 = 5 bp).
        minimum: minimum per order.
        max_rate_of_value: cap per order as a fraction of trade value (``inf`` = none).
        maximum: cap per order as an amount (``inf`` = none).
        sell_per_share: regulatory fee per share sold (FINRA TAF), added after the cap.
        sell_maximum: cap per order of that fee (``inf`` = none).
        pass_through_rate: third-party fees as a fraction of the commission (IBKR Tiered:
            NYSE and FINRA pass-through).
        extra_per_share: clearing or exchange fee per share (Tiered), after the cap.
        extra_rate_of_value, extra_minimum: an exchange fee as a fraction of value, with its
            own minimum per order (LSE: 0.45 bp, at least GBP 0.10).
        extra_per_order: a flat fee per order (LSE clearing).
        source, as_of, confidence: where the figures come from (V verified, S secondary, U
            unconfirmed; see the fee data file).
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


NO_FEES = FeeSchedule(key="none", name="No commission", currency="")


class FeeTable:
    """Fee schedules of a portfolio's assets, one per asset, evaluated vectorised.

    Args:
        schedules: one :class:`FeeSchedule` per asset, in asset order.
    """

    def __init__(self, schedules: Sequence[FeeSchedule]):
        self.schedules = tuple(schedules)

        def column(attr: str) -> np.ndarray:
            return np.array([getattr(s, attr) for s in self.schedules], dtype=float)

        self._per_share = column("per_share")
        self._rate = column("rate_of_value")
        self._minimum = column("minimum")
        self._max_rate = column("max_rate_of_value")
        self._maximum = column("maximum")
        self._sell_per_share = column("sell_per_share")
        self._sell_maximum = column("sell_maximum")
        self._pass_through = column("pass_through_rate")
        self._extra_per_share = column("extra_per_share")
        self._extra_rate = column("extra_rate_of_value")
        self._extra_minimum = column("extra_minimum")
        self._extra_per_order = column("extra_per_order")
        self._zeros = np.zeros(len(self.schedules))
        self._zeros.flags.writeable = False  # shared: callers only read commissions
        charges = (
            self._per_share,
            self._rate,
            self._minimum,
            self._sell_per_share,
            self._pass_through,
            self._extra_per_share,
            self._extra_rate,
            self._extra_minimum,
            self._extra_per_order,
        )
        self._free = not any(c.any() for c in charges)

    @property
    def free(self) -> bool:
        """True when no schedule charges anything (every commission is 0)."""
        return self._free

    def commission(self, quantities: np.ndarray, prices: np.ndarray) -> np.ndarray:
        """Estimated commission of one order per asset.

        Args:
            quantities: signed shares, shape ``(n_assets,)``; > 0 buy, < 0 sell, 0 no order.
            prices: reference price per share in each listing's currency, ``(n_assets,)``.

        Returns:
            Commission per order in each listing's currency, shape ``(n_assets,)``; 0 where
            the quantity is 0.
        """
        quantities = np.asarray(quantities, dtype=float)
        if self._free:  # no schedule charges anything: skip the arithmetic (sweeps, tests)
            return self._zeros
        shares = np.abs(quantities)
        value = shares * np.asarray(prices, dtype=float)
        base = self._per_share * shares + self._rate * value
        with np.errstate(invalid="ignore"):  # inf cap × 0 value: masked out below
            cap = np.minimum(self._max_rate * value, self._maximum)
        capped = np.minimum(np.maximum(base, self._minimum), cap)
        third_party = (
            self._pass_through * capped
            + self._extra_per_share * shares
            + np.maximum(self._extra_rate * value, self._extra_minimum)
            + self._extra_per_order
        )
        regulatory = np.where(
            quantities < 0, np.minimum(self._sell_per_share * shares, self._sell_maximum), 0.0
        )
        return np.where(shares > 0, capped + third_party + regulatory, 0.0)
