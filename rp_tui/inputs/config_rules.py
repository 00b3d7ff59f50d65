"""What each value of ``portfolio.toml`` accepts, and each command-line option beside it.

One table, read by the config reader (:mod:`rp_tui.inputs.portfolio_file`) and by the
argparse types of :mod:`rp_tui.cli.arg_types`, so ``--band 5`` is refused with the same
words as ``band = 5``. Keys are dotted as in messages (``strategy.band``); options that
have no config key sit under their command (``backtest.slippage_bp``).

A new numeric key gets its :class:`Range` here (a test checks every numeric field of every
table has one); a new choice key its tuple in :data:`CHOICES`. Cheap to import: ``rp-tui
--help`` reads it without numpy.
"""

from __future__ import annotations

import math
import reprlib
from dataclasses import dataclass

from rp_tui.domain.names import (
    ANCHORS,
    BAND_KINDS,
    ESTIMATORS,
    FEE_PLANS,
    FREQUENCIES,
    METHODS,
    MODES,
    OUTLIER_METHODS,
    OUTSIDE_HOLDINGS,
    RETURN_KINDS,
    TRADE_SCOPES,
)

BROKER_KINDS = ("demo", "ibkr", "alpaca", "flex")
ALPACA_FEEDS = ("iex", "sip")
ORDER_TYPES = ("limit", "market", "adaptive")
UNFILLED = ("cancel", "keep")


class _Short(reprlib.Repr):
    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 256:  # str() of a huge int is slow, and refused past 4300 digits
            return f"<a number of about {int(x.bit_length() * 0.30103) + 1} digits>"
        return super().repr_int(x, level)


_SHOW = _Short()
_SHOW.maxstring = _SHOW.maxother = _SHOW.maxlong = 40
_SHOW.maxlevel, _SHOW.maxlist, _SHOW.maxdict, _SHOW.maxtuple = 2, 4, 4, 4


def show(value: object) -> str:
    """``value`` for a message: short (≤ ~40 characters), plain Python, never a numpy repr."""
    if hasattr(value, "item") and type(value).__module__ == "numpy":
        value = value.item()
    return repr(value) if isinstance(value, float) else _SHOW.repr(value)


def number(value: float) -> str:
    """A bound or value as a person writes it: ``0.5``, ``5000``, ``1e+12``."""
    return str(value) if isinstance(value, int) else f"{value:g}"


@dataclass(frozen=True)
class Range:
    """Accepted numbers: ``low``..``high``, each end closed unless ``*_open``; always finite.

    ``hint`` says what the number means and gives a typical value.
    """

    low: float
    high: float
    hint: str = ""
    low_open: bool = False
    high_open: bool = False

    @property
    def interval(self) -> str:
        """``[0, 0.5)``, or ``> 0`` for an open-ended range."""
        if math.isinf(self.high):
            return f"{'>' if self.low_open else '≥'} {number(self.low)}"
        left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
        return f"in {left}{number(self.low)}, {number(self.high)}{right}"

    def problem(self, value: float) -> str | None:
        """``None`` when ``value`` is accepted, else what is wrong with it and the fix."""
        hint = f" ({self.hint})" if self.hint else ""
        if isinstance(value, float) and not math.isfinite(value):
            return f"must be a finite number {self.interval}{hint}, got {show(value)}"
        low = value <= self.low if self.low_open else value < self.low
        high = value >= self.high if self.high_open else value > self.high
        if low or high:
            return f"must be {self.interval}{hint}, got {show(value)}"
        return None


_MONEY = 1e12  # more base currency than any account: a typo, not an amount

RANGES: dict[str, Range] = {
    # [strategy]
    "strategy.lookback": Range(20, 5000, "trading days of returns; 252 ≈ 1 year"),
    "strategy.half_life": Range(1.0, 5000.0, "trading days; 63 ≈ a quarter"),
    "strategy.downside_threshold": Range(
        -0.2, 0.2, "a daily return such as 0.0", low_open=True, high_open=True
    ),
    "strategy.risk_aversion": Range(0.0, 1000.0, "λ; 2-10 is usual", low_open=True),
    "strategy.target_volatility": Range(
        0.0, 2.0, "an annual fraction: 0.08 = 8 %, 0 = off", high_open=True
    ),
    "strategy.max_gross": Range(0.0, 1.0, "rp-tui does not lever", low_open=True),
    "strategy.outlier_level": Range(
        0.0, 50.0, "winsorize: a quantile such as 0.01; mad: robust σ such as 5", low_open=True
    ),
    # [rebalancing]
    "rebalancing.min_interval_days": Range(0, 3660, "calendar days, e.g. 90; 0 = off"),
    "rebalancing.band": Range(
        0.0,
        0.5,
        "a fraction: 0.02 = 2 pp of NAV (absolute) or 2 % of the target (relative)",
        high_open=True,
    ),
    "rebalancing.min_trade": Range(0.0, 1e12, "base currency, e.g. 100; 0 trades any size"),
    "rebalancing.max_commission_ratio": Range(0.0, 1.0, "of a trade's value, e.g. 0.01; 0 = off"),
    "rebalancing.cash_buffer": Range(0.0, 0.5, "a fraction of NAV: 0.01 keeps 1 %", high_open=True),
    # [schedule]: after the opening auction (and its extensions); the close is checked
    # against every session's hours where the schedule is used (rp_tui.services.schedule)
    "schedule.minutes_after_open": Range(5, 600, "minutes after the exchange opens, e.g. 30"),
    # [broker]
    "broker.port": Range(1, 65535, "a TCP port: TWS paper 7497, Gateway paper 4002"),
    "broker.client_id": Range(0, 2**31 - 1, "any number no other API client uses, e.g. 17"),
    "broker.connect_timeout": Range(0.0, 120.0, "seconds, e.g. 5", low_open=True),
    # [execution]
    "execution.limit_tolerance_bp": Range(0.0, 500.0, "basis points past the quote, e.g. 10"),
    "execution.fill_timeout": Range(1.0, 3600.0, "seconds, e.g. 60"),
    # [safety]: every cap is on; an infinite or zero cap would switch its guard off
    "safety.max_order_notional": Range(0.0, math.inf, "base currency, e.g. 50000", True),
    "safety.max_run_notional": Range(0.0, math.inf, "base currency, e.g. 250000", True),
    "safety.max_order_pct_nav": Range(0.0, 1.0, "a fraction of NAV, e.g. 0.30", True),
    "safety.max_order_shares": Range(0.0, math.inf, "shares, e.g. 10000", True),
    "safety.price_band": Range(0.0, 1.0, "a fraction of the quote, e.g. 0.02", True),
    "safety.quote_ttl_seconds": Range(0.0, 86400.0, "seconds, e.g. 120", True),
    # [[assets]] (one per holding) and [groups]
    "assets.budget": Range(0.0, math.inf, "a risk budget, normalised; e.g. 0.2", True),
    "assets.min": Range(0.0, 1.0, "a weight, a fraction such as 0.05"),
    "assets.max": Range(0.0, 1.0, "a weight, a fraction such as 0.4"),
    "assets.weight": Range(0.0, 1.0, "a target weight (method fixed), a fraction such as 0.25"),
    "groups.min": Range(0.0, 1.0, "a total weight of the class, a fraction"),
    "groups.max": Range(0.0, 1.0, "a total weight of the class, a fraction"),
    # command-line options without a config key
    "backtest.capital": Range(0.0, _MONEY, "starting cash, base currency, e.g. 100000", True),
    "backtest.contribution": Range(-_MONEY, _MONEY, "cash per period; < 0 withdraws"),
    "backtest.min_trade": Range(0.0, _MONEY, "base currency; 0 trades any size"),
    "backtest.max_commission_ratio": Range(
        0.0, 1.0, "of a trade's value, e.g. 0.01; leave it out for no limit", True
    ),
    "backtest.slippage_bp": Range(0.0, 1000.0, "basis points worse than the close, e.g. 5"),
    "plan.deposit": Range(0.0, _MONEY, "base currency arriving now, e.g. 5000", True),
    "plan.withdraw": Range(0.0, _MONEY, "base currency to raise, e.g. 2000", True),
    "sweep.workers": Range(1, 1024, "processes, e.g. 4; leave it out for all cores"),
    "risk.paths": Range(1000, 200_000, "Monte Carlo scenarios, e.g. 5000"),
    "risk.seed": Range(0, 2**32 - 1, "any whole number, e.g. 0"),
}

CHOICES: dict[str, tuple[str, ...]] = {
    "strategy.method": METHODS,
    "strategy.estimator": ESTIMATORS,
    "strategy.returns": RETURN_KINDS,
    "strategy.outliers": OUTLIER_METHODS,
    "rebalancing.frequency": FREQUENCIES,
    "rebalancing.anchor": ANCHORS,
    "rebalancing.band_kind": BAND_KINDS,
    "rebalancing.trade": TRADE_SCOPES,
    "rebalancing.mode": MODES,
    "rebalancing.outside_holdings": OUTSIDE_HOLDINGS,
    "fees.plan": FEE_PLANS,
    "broker.kind": BROKER_KINDS,
    "broker.alpaca_feed": ALPACA_FEEDS,
    "execution.order_type": ORDER_TYPES,
    "execution.unfilled": UNFILLED,
}

# Keys that moved to another table (or name): refused with the exact fix.
MOVED: dict[str, str] = {
    "strategy.band": "rebalancing.band",
    "strategy.cash_buffer": "rebalancing.cash_buffer",
    "strategy.rebalance": "rebalancing.frequency",
    "strategy.calendar": "rebalancing.calendar",
}
