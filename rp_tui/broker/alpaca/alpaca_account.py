"""The Alpaca account: cash, every position with its average entry price, fresh prices, the
orders still working, and the checks a run needs (market open, assets tradable).

Endpoints (docs.alpaca.markets, read 2026-12-01): ``GET /v2/account``, ``GET /v2/positions``,
``GET /v2/orders?status=open``, ``GET /v2/assets/{symbol}``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

from rp_tui.broker.alpaca.alpaca_link import AlpacaError
from rp_tui.broker.base import AccountSnapshot, Holding
from rp_tui.errors import BrokerError


def _float(value, default: float = math.nan) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _text(value) -> str:
    """An SDK enum's value, or the string itself."""
    return str(getattr(value, "value", value) or "")


class AccountMixin:
    """Part of :class:`~rp_tui.broker.alpaca.AlpacaBroker`: what the account holds now.
    Uses ``link``, ``trading``, ``assets``, ``base_currency`` and ``quotes``; keeps
    ``account`` (Alpaca's account number), ``_nav`` (equity, USD) and ``tradable`` (symbol →
    Alpaca asset, for the run's checks)."""

    async def _read_account(self):
        """The account record; refuses a blocked account or a base currency other than USD.

        Raises:
            BrokerError: unreachable, keys refused, base currency mismatch.
        """
        account = await self.link.call("reading the account", self.trading.get_account)
        currency = account.currency or "USD"
        if currency != self.base_currency:
            raise BrokerError(
                f"Alpaca account {account.account_number} is in {currency}, portfolio.toml "
                f'says {self.base_currency}; set base_currency = "{currency}"'
            )
        self.account = str(account.account_number)
        self._nav = _float(account.equity)
        self._blocked_account = (
            "trading is blocked on this account"
            if account.trading_blocked or account.account_blocked
            else ""
        )
        return account

    async def snapshot(self) -> AccountSnapshot:
        """Cash, every position (average entry price as its cost) and fresh prices.

        Portfolio assets are priced by a fresh quote (the position's current price when none
        arrived, and then blocked); positions outside the portfolio by Alpaca's current
        price. A symbol with an order still working is blocked (never ordered twice).

        Raises:
            BrokerError: unreachable, keys refused, a currency other than USD.
        """
        from alpaca.trading.enums import QueryOrderStatus
        from alpaca.trading.requests import GetOrdersRequest

        account = await self._read_account()
        positions = await self.link.call("reading positions", self.trading.get_all_positions)
        held = {p.symbol: p for p in positions if _float(p.qty, 0.0)}
        portfolio = [a.symbol for a in self.assets]
        quotes = await self.quotes(portfolio)
        quantities, prices, blocked, kinds = {}, {}, {}, {}
        for symbol in portfolio:
            position = held.get(symbol)
            quantities[symbol] = _float(position.qty, 0.0) if position else 0.0
            quote = quotes[symbol]
            if quote.price > 0:
                prices[symbol], kinds[symbol] = quote.price, quote.kind
                continue
            prices[symbol] = _float(position.current_price) if position else math.nan
            kinds[symbol] = "portfolio"
            blocked[symbol] = f"{symbol}: no bid, ask or last from Alpaca; orders blocked"
        listing = {a.symbol: a for a in self.assets}
        holdings = []
        for symbol, p in held.items():
            if symbol not in listing:
                quantities[symbol] = _float(p.qty, 0.0)
                prices[symbol], kinds[symbol] = _float(p.current_price), "portfolio"
            asset = listing.get(symbol)
            holdings.append(
                Holding(
                    symbol=symbol,
                    quantity=_float(p.qty, 0.0),
                    price=prices[symbol],
                    currency="USD",
                    exchange=asset.exchange if asset else "SMART",
                    primary_exchange=asset.primary_exchange if asset else _text(p.exchange),
                    average_cost=_float(p.avg_entry_price),
                    in_portfolio=asset is not None,
                )
            )
        request = GetOrdersRequest(status=QueryOrderStatus.OPEN, limit=500)
        working = await self.link.call("reading open orders", self.trading.get_orders, request)
        for order in working:
            if order.symbol in quantities:
                remaining = _float(order.qty, 0.0) - _float(order.filled_qty, 0.0)
                blocked[order.symbol] = (
                    f"{order.symbol}: a {_text(order.side).upper()} order "
                    f"({order.client_order_id or 'manual'}) is still working, "
                    f"{remaining:g} shares open; no new order"
                )
        if self._blocked_account:
            for symbol in quantities:
                blocked[symbol] = f"{symbol}: {self._blocked_account} (Alpaca); orders blocked"
        cash = _float(account.cash, 0.0)
        return AccountSnapshot(
            broker=self.kind,
            account=self.account,
            base_currency=self.base_currency,
            as_of=datetime.now(UTC).isoformat(timespec="seconds"),
            cash=cash,
            quantities=quantities,
            prices=prices,
            fx={"USD": 1.0},
            blocked=blocked,
            quote_kinds=kinds,
            cash_by_currency={"USD": cash},
            holdings=tuple(holdings),
        )

    def nav(self) -> float:
        """Equity (NAV) in USD as of the last account read; NaN before the first."""
        return self._nav

    def fx(self, currency: str) -> float:
        """1.0 for USD, the only currency an Alpaca account trades in.

        Raises:
            BrokerError: any other currency.
        """
        if currency != "USD":
            raise BrokerError(f"Alpaca trades US listings in USD only, not {currency}")
        return 1.0

    async def prepare_run(self, symbols: Sequence[str]) -> None:
        """Before a run: the account read again (NAV for the caps), the market open on
        Alpaca's clock, and each symbol an active, tradable Alpaca asset (remembered with
        whether it takes fractional orders).

        Raises:
            BrokerError: the market is closed (names the next open), the account is blocked,
                or a symbol is unknown or not tradable at Alpaca; nothing was sent.
        """
        await self._read_account()
        if self._blocked_account:
            raise BrokerError(f"Alpaca account {self.account}: {self._blocked_account}")
        clock = await self.clock()
        if not clock.is_open:
            raise BrokerError(
                f"the market is closed (Alpaca's clock; next open {clock.next_open}): "
                "nothing was sent — run again while it is open"
            )
        for symbol in symbols:
            if symbol in self.tradable:
                continue
            try:
                asset = await self.link.call(f"looking up {symbol}", self.trading.get_asset, symbol)
            except AlpacaError as exc:
                if exc.status != 404:
                    raise
                raise BrokerError(
                    f"Alpaca does not know {symbol}: fix the symbol in portfolio.toml"
                ) from exc
            if not asset.tradable or _text(asset.status) != "active":
                raise BrokerError(f"{symbol} is not tradable at Alpaca: nothing was sent")
            self.tradable[symbol] = asset

    async def qualify_asset(self, asset) -> int:
        """Accept a new portfolio asset only if Alpaca trades it (US listing, USD); returns 0
        (Alpaca has no contract id).

        Raises:
            BrokerError: another currency, or a symbol Alpaca does not know or trade.
        """
        if asset.currency != "USD":
            raise BrokerError(
                f"{asset.symbol}: Alpaca trades US listings in USD, not {asset.currency}"
            )
        try:
            found = await self.link.call(
                f"looking up {asset.symbol}", self.trading.get_asset, asset.symbol
            )
        except AlpacaError as exc:
            if exc.status != 404:
                raise
            raise BrokerError(f"Alpaca does not know {asset.symbol}: check the symbol") from exc
        if not found.tradable:
            raise BrokerError(f"{asset.symbol} is not tradable at Alpaca")
        return 0

    def restart_connection(self) -> None:
        """Forget what a run checked (assets, the last answer): the next request starts anew
        (there is no standing connection to Alpaca)."""
        self.tradable.clear()
        self.link.connected = False
