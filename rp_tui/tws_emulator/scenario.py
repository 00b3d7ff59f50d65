"""Scenario data the emulator serves: plain dataclasses a test sets up or changes mid-test."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
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


@dataclass
class Scenario:
    """Everything the emulated TWS knows; safe to mutate while clients are connected."""

    accounts: list[Account] = field(default_factory=lambda: [Account()])
    instruments: list[Instrument] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)
    quotes: dict[str, Quote] = field(default_factory=dict)
    bars: dict[str, list[Bar]] = field(default_factory=dict)
    what_if: dict[str, WhatIf] = field(default_factory=dict)
    default_what_if: WhatIf = field(default_factory=WhatIf)
    default_behaviour: OrderBehaviour = field(default_factory=OrderBehaviour)
    behaviour_by_symbol: dict[str, OrderBehaviour] = field(default_factory=dict)
    behaviour_by_ref: dict[str, OrderBehaviour] = field(default_factory=dict)
    #: Lowest NEXT_VALID_ID sent at connect (it is raised above every order id seen).
    next_valid_id: int = 1
    #: Fills move positions and cash (and are pushed to subscribed clients).
    apply_fills: bool = True
    allow_fractional: bool = False

    @property
    def account_ids(self) -> list[str]:
        """Managed account ids, in MANAGED_ACCTS order."""
        return [a.account_id for a in self.accounts]

    def account(self, account_id: str = "") -> Account:
        """The named account, or the first one for ""; ``KeyError`` if unknown."""
        if not account_id:
            return self.accounts[0]
        for account in self.accounts:
            if account.account_id == account_id:
                return account
        raise KeyError(account_id)

    def instrument(self, symbol: str) -> Instrument | None:
        """First listing with this symbol (the one positions and orders use)."""
        return next((i for i in self.instruments if i.symbol == symbol), None)

    def find_instruments(
        self,
        con_id: int,
        symbol: str,
        sec_type: str = "",
        exchange: str = "",
        primary_exchange: str = "",
        currency: str = "",
    ) -> list[Instrument]:
        """All listings a request's contract selects (more than one = ambiguous)."""
        if con_id:
            return [i for i in self.instruments if i.con_id == con_id]
        wanted = (symbol, sec_type, exchange, primary_exchange, currency)
        return [i for i in self.instruments if i.matches(*wanted)]

    def positions_of(self, account_id: str) -> list[Position]:
        """Positions held in ``account_id``."""
        first = self.accounts[0].account_id
        return [p for p in self.positions if (p.account or first) == account_id]

    def market_price(self, position: Position) -> float:
        """Mark price of a position."""
        if position.market_price is not None:
            return position.market_price
        quote = self.quotes.get(position.symbol)
        price = quote.reference_price if quote else None
        return price if price is not None else position.avg_cost

    def account_values(self, account_id: str) -> list[tuple[str, str, str]]:
        """(key, value, currency) rows as TWS reports them for reqAccountUpdates.

        Ledger rows (CashBalance, TotalCashBalance, ExchangeRate, NetLiquidationByCurrency,
        StockMarketValue) come per currency and for "BASE"; totals in the base currency.
        """
        account = self.account(account_id)
        base = account.base_currency
        stock: dict[str, float] = {}
        gross = 0.0
        for position in self.positions_of(account.account_id):
            instrument = self.instrument(position.symbol)
            currency = instrument.currency if instrument else base
            value = position.quantity * self.market_price(position)
            stock[currency] = stock.get(currency, 0.0) + value
            gross += abs(value) * account.rate(currency)
        currencies = sorted({*account.cash, *stock, *account.exchange_rates} - {"BASE"})
        rows: list[tuple[str, str, str]] = []
        total_cash = total_stock = 0.0
        for currency in currencies:
            cash, value = account.cash.get(currency, 0.0), stock.get(currency, 0.0)
            total_cash += cash * account.rate(currency)
            total_stock += value * account.rate(currency)
            rows += _ledger(currency, cash, value, account.rate(currency))
        rows += _ledger("BASE", total_cash, total_stock, 1.0)
        net_liq = total_cash + total_stock
        rows += [
            ("AccountCode", account.account_id, ""),
            ("AccountType", account.account_type, ""),
            ("NetLiquidation", _money(net_liq), base),
            ("TotalCashValue", _money(total_cash), base),
            ("SettledCash", _money(total_cash), base),
            ("AvailableFunds", _money(total_cash), base),
            ("BuyingPower", _money(max(total_cash, 0.0)), base),
            ("EquityWithLoanValue", _money(net_liq), base),
            ("ExcessLiquidity", _money(total_cash), base),
            ("GrossPositionValue", _money(gross), base),
        ]
        overrides = dict(account.overrides)
        rows = [(k, overrides.pop((k, c), v), c) for k, v, c in rows]
        return rows + [(k, v, c) for (k, c), v in overrides.items()]

    def behaviour_for(self, symbol: str, order_ref: str) -> OrderBehaviour:
        """Order behaviour by orderRef, else by symbol, else the default."""
        if order_ref in self.behaviour_by_ref:
            return self.behaviour_by_ref[order_ref]
        return self.behaviour_by_symbol.get(symbol, self.default_behaviour)

    def make_ambiguous(self, symbol: str) -> Instrument:
        """Add a second listing of ``symbol`` so that contract lookups become ambiguous."""
        original = self.instrument(symbol)
        if original is None:
            raise KeyError(symbol)
        twin = Instrument(
            symbol=original.symbol,
            con_id=original.con_id + 900_000,
            exchange=original.exchange,
            primary_exchange="ARCA" if original.primary_exchange != "ARCA" else "NYSE",
            currency=original.currency,
            sec_type=original.sec_type,
            min_tick=original.min_tick,
            long_name=original.long_name,
        )
        self.instruments.append(twin)
        return twin

    def set_history(self, symbol: str, closes: Iterable[tuple[str, float]]) -> None:
        """Daily bars for ``symbol`` from ``(YYYYMMDD, close)`` pairs."""
        self.bars[symbol] = [Bar.daily(date, close) for date, close in closes]

    def apply_fill(
        self, account_id: str, symbol: str, signed_qty: float, price: float, commission: float
    ) -> Position:
        """Book a fill into positions and cash; returns the updated position."""
        account = self.account(account_id)
        position = next(
            (p for p in self.positions_of(account.account_id) if p.symbol == symbol), None
        )
        if position is None:
            position = Position(symbol, 0.0, 0.0, account=account.account_id)
            self.positions.append(position)
        old = position.quantity
        new = old + signed_qty
        flipped = new != 0 and (old > 0) != (new > 0)
        if old == 0 or flipped:
            position.avg_cost = price  # opened, or flipped through zero
        elif abs(new) > abs(old):
            position.avg_cost = (old * position.avg_cost + signed_qty * price) / new
        else:  # reducing: realise the difference against the average cost
            position.realized_pnl += -signed_qty * (price - position.avg_cost)
        position.quantity = new
        instrument = self.instrument(symbol)
        currency = instrument.currency if instrument else account.base_currency
        account.cash[currency] = account.cash.get(currency, 0.0) - signed_qty * price - commission
        return position


def _money(value: float) -> str:
    return f"{value:.2f}"


def _ledger(currency: str, cash: float, stock: float, rate: float) -> list[tuple[str, str, str]]:
    return [
        ("CashBalance", _money(cash), currency),
        ("TotalCashBalance", _money(cash), currency),
        ("StockMarketValue", _money(stock), currency),
        ("NetLiquidationByCurrency", _money(cash + stock), currency),
        ("ExchangeRate", f"{rate:.8g}", currency),
    ]


_DEMO_ETFS = (
    # symbol, conId (made up), long name, last close
    ("MTUM", 700_001, "ISHARES MSCI USA MOMENTUM FA", 215.40),
    ("QUAL", 700_002, "ISHARES MSCI USA QUALITY FAC", 178.25),
    ("SIZE", 700_003, "ISHARES MSCI USA SIZE FACTOR", 148.10),
    ("USMV", 700_004, "ISHARES MSCI USA MIN VOL FAC", 91.35),
    ("VLUE", 700_005, "ISHARES MSCI USA VALUE FACTO", 112.60),
)
_DEMO_HOLDINGS = {"MTUM": 60, "QUAL": 75, "SIZE": 40, "USMV": 150, "VLUE": 90}


def demo_history(symbol: str, last_close: float, end: dt.date, days: int = 520) -> list[Bar]:
    """Deterministic weekday bars ending at ``end`` (a seeded random walk)."""
    rng = random.Random(symbol)
    dates: list[dt.date] = []
    day = end
    while len(dates) < days:
        if day.weekday() < 5:
            dates.append(day)
        day -= dt.timedelta(days=1)
    dates.reverse()
    closes = [1.0]
    for _ in dates[1:]:
        closes.append(closes[-1] * (1 + rng.gauss(0.0003, 0.011)))
    scale = last_close / closes[-1]
    bars = []
    for date, c in zip(dates, closes, strict=True):
        close = round(c * scale, 2)
        spread = round(close * 0.006, 2)
        bars.append(
            Bar(
                date.strftime("%Y%m%d"),
                open=round(close - spread / 2, 2),
                high=round(close + spread, 2),
                low=round(close - spread, 2),
                close=close,
                volume=float(rng.randint(200_000, 2_000_000)),
            )
        )
    return bars


def demo_scenario(end: dt.date | None = None) -> Scenario:
    """The paper account served by ``python -m rp_tui.tws_emulator``."""
    end = end or dt.date.today() - dt.timedelta(days=1)
    scenario = Scenario(accounts=[Account(cash={"USD": 25_000.0})])
    for symbol, con_id, long_name, close in _DEMO_ETFS:
        scenario.instruments.append(Instrument(symbol, con_id, long_name=long_name))
        scenario.quotes[symbol] = Quote(
            bid=round(close - 0.02, 2), ask=round(close + 0.02, 2), last=close, close=close
        )
        scenario.bars[symbol] = demo_history(symbol, close, end)
        scenario.positions.append(
            Position(symbol, _DEMO_HOLDINGS[symbol], avg_cost=round(close * 0.93, 4))
        )
    return scenario
