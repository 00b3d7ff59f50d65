"""The scenario the emulator serves: ``Scenario`` (safe to change mid-test) and the demo one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from .demo_market import DEMO_ETFS, DEMO_HOLDINGS, demo_history
from .scenario_records import Account, Bar, Instrument, OrderBehaviour, Position, Quote, WhatIf


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


def demo_scenario(end: dt.date | None = None) -> Scenario:
    """The paper account served by ``python -m rp_tui.tws_emulator``."""
    end = end or dt.date.today() - dt.timedelta(days=1)
    scenario = Scenario(accounts=[Account(cash={"USD": 25_000.0})])
    for symbol, con_id, long_name, close in DEMO_ETFS:
        scenario.instruments.append(Instrument(symbol, con_id, long_name=long_name))
        scenario.quotes[symbol] = Quote(
            bid=round(close - 0.02, 2), ask=round(close + 0.02, 2), last=close, close=close
        )
        scenario.bars[symbol] = demo_history(symbol, close, end)
        scenario.positions.append(
            Position(symbol, DEMO_HOLDINGS[symbol], avg_cost=round(close * 0.93, 4))
        )
    return scenario
