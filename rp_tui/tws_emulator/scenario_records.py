"""Scenario records: the plain dataclasses a test sets up (accounts, contracts, quotes, bars…)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

DEFAULT_ACCOUNT = "DU1234567"


@dataclass
class Account:
    """One managed account: cash per currency, rates to the base currency, extra values.

    Account values (ACCT_VALUE, ACCOUNT_UPDATE_MULTI, ACCOUNT_SUMMARY) are derived from
    ``cash``, ``exchange_rates`` and the account's positions; ``overrides`` replaces or adds
    single ``(key, currency)`` values, e.g. ``{("NetLiquidation", "USD"): "0"}``.
    """

    account_id: str = DEFAULT_ACCOUNT
    base_currency: str = "USD"
    cash: dict[str, float] = field(default_factory=lambda: {"USD": 100_000.0})
    #: Units of base currency per unit of the key currency; the base itself is always 1.
    exchange_rates: dict[str, float] = field(default_factory=dict)
    account_type: str = "INDIVIDUAL"
    overrides: dict[tuple[str, str], str] = field(default_factory=dict)

    def rate(self, currency: str) -> float:
        """Exchange rate of ``currency`` to the base currency."""
        if currency in ("", "BASE", self.base_currency):
            return 1.0
        return self.exchange_rates[currency]


@dataclass
class Instrument:
    """Contract details for one listing; ``con_id`` must be unique and non-zero."""

    symbol: str
    con_id: int
    exchange: str = "SMART"
    primary_exchange: str = "BATS"
    currency: str = "USD"
    sec_type: str = "STK"
    min_tick: float = 0.01
    long_name: str = ""
    valid_exchanges: str = "SMART,AMEX,NYSE,CBOE,ARCA,BATS,EDGX,IEX"
    order_types: str = "LMT,MKT,MOC,LOC,STP,STPLMT,TRAIL,REL"
    time_zone: str = "US/Eastern"
    stock_type: str = "ETF"

    @property
    def trading_class(self) -> str:
        """Trading class and local symbol equal the symbol for plain stocks and ETFs."""
        return self.symbol

    def matches(
        self, symbol: str, sec_type: str, exchange: str, primary_exchange: str, currency: str
    ) -> bool:
        """True when a request's (possibly partial) contract selects this listing."""
        exchanges = {self.exchange, self.primary_exchange, *self.valid_exchanges.split(",")}
        return (
            symbol.upper() == self.symbol.upper()
            and sec_type in ("", self.sec_type)
            and currency in ("", self.currency)
            and exchange in ("", *exchanges)
            and primary_exchange in ("", self.primary_exchange)
        )


@dataclass
class Position:
    """A holding; ``market_price`` falls back to the quote's last/close, then avg cost."""

    symbol: str
    quantity: float
    avg_cost: float
    market_price: float | None = None
    account: str = ""  # "" means the first account
    realized_pnl: float = 0.0


@dataclass
class Quote:
    """Snapshot quote for one symbol.

    ``live=False`` means the account has no live subscription: a live request gets error
    ``not_subscribed_code`` (354, 10089, 10168 end the request; 10167 is a warning and is
    followed by delayed ticks). With market data type 3/4 delayed ticks (66/67/68/75) are
    served unless ``delayed`` is False (then error 10168).
    """

    bid: float | None = None
    ask: float | None = None
    last: float | None = None
    close: float | None = None
    bid_size: float = 100
    ask_size: float = 100
    last_size: float = 100
    live: bool = True
    not_subscribed_code: int = 10089
    delayed: bool = True

    @property
    def reference_price(self) -> float | None:
        """Price used to mark positions and fill market orders."""
        for price in (self.last, self.close, self.bid, self.ask):
            if price:
                return price
        return None


@dataclass
class Bar:
    """One historical bar; ``date`` is ``YYYYMMDD`` for daily bars."""

    date: str
    open: float
    high: float
    low: float
    close: float
    volume: float = 0.0

    @classmethod
    def daily(cls, date: str, close: float, volume: float = 0.0) -> Bar:
        """A flat bar from a close price only (open = high = low = close)."""
        return cls(date, close, close, close, close, volume)


@dataclass
class WhatIf:
    """What-if answer; ``None`` commissions are sent as 1.797e308 (TWS's "unknown")."""

    commission: float | None = 1.0
    min_commission: float | None = None
    max_commission: float | None = None
    commission_currency: str = "USD"
    #: Fraction of the order's notional reported as initial margin change.
    margin_rate: float = 0.25
    warning_text: str = ""


FillMode = Literal["fill", "partial", "reject", "open"]


@dataclass
class OrderBehaviour:
    """What the emulated broker does with an accepted order.

    fill: fill fully at ``fill_price`` (default: the limit price, else the quote).
    partial: fill ``fill_quantity`` shares and stay open for the rest.
    reject: error ``reject_code`` with ``reject_reason``, then ORDER_STATUS ``reject_status``.
    open: acknowledge (Submitted) and wait for ``cancelOrder`` or ``TwsEmulator.fill_order``.
    ``duplicate_execution`` sends every execution report twice with the same execId.
    """

    mode: FillMode = "fill"
    fill_price: float | None = None
    fill_quantity: float | None = None
    reject_code: int = 201
    reject_reason: str = "Rejected by the emulator"
    reject_status: str = "Cancelled"
    commission: float = 1.0
    commission_currency: str = ""  # "" = the contract's currency
    duplicate_execution: bool = False

    @classmethod
    def fill(cls, price: float | None = None, commission: float = 1.0) -> OrderBehaviour:
        """Fill the whole order at ``price`` (default: limit price, else quote)."""
        return cls("fill", fill_price=price, commission=commission)

    @classmethod
    def partial(cls, quantity: float, price: float | None = None) -> OrderBehaviour:
        """Fill ``quantity`` shares, leave the rest working."""
        return cls("partial", fill_price=price, fill_quantity=quantity)

    @classmethod
    def reject(cls, reason: str, code: int = 201, status: str = "Cancelled") -> OrderBehaviour:
        """Reject the order with an error and a final status."""
        return cls("reject", reject_code=code, reject_reason=reason, reject_status=status)

    @classmethod
    def stay_open(cls) -> OrderBehaviour:
        """Acknowledge the order and leave it working."""
        return cls("open")
