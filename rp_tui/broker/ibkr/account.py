"""The account snapshot: cash per currency, FX rates, positions and fresh prices."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from rp_tui.broker.base import AccountSnapshot, Holding
from rp_tui.broker.ibkr.ib_values import DONE_STATUSES, QUOTE_TIMEOUT, number
from rp_tui.errors import BrokerError


class AccountMixin:
    """Part of :class:`~rp_tui.broker.ibkr.IbkrBroker`: what the account holds now.
    Uses ``ib``, ``account``, ``base_currency``, ``assets``, ``contracts`` and ``quotes``;
    keeps ``_nav`` (NetLiquidation, base currency) and ``held_contracts`` (symbol → contract
    of each position outside the portfolio, to trade it)."""

    async def snapshot(self) -> AccountSnapshot:
        """Cash per currency, FX rates, every position and fresh prices of the assets.

        Portfolio assets are priced by a fresh quote (TWS's mark when none arrives, and then
        blocked); positions outside the portfolio come from TWS's portfolio with their
        contract and mark, and can be traded (their contracts are remembered).

        Raises:
            BrokerError: not reachable, unknown contracts, a base currency that differs from
                portfolio.toml, or positions missing while NAV says there are some.
        """
        await self.connect()
        await self.qualify()
        values = [v for v in self.ib.accountValues(self.account) if v.account == self.account]

        def amount(tag: str, currency: str) -> float:
            return next(
                (float(v.value) for v in values if v.tag == tag and v.currency == currency),
                math.nan,
            )

        base = next((v.currency for v in values if v.tag == "NetLiquidation"), "")
        if base and base != self.base_currency:
            raise BrokerError(
                f"account {self.account} has base currency {base}, portfolio.toml says "
                f'{self.base_currency}; set base_currency = "{base}"'
            )
        fx = {
            v.currency: float(v.value)
            for v in values
            if v.tag == "ExchangeRate" and v.currency not in ("", "BASE")
        }
        fx[self.base_currency] = 1.0
        cash = amount("TotalCashValue", self.base_currency)
        nav = amount("NetLiquidation", self.base_currency)
        if not math.isfinite(cash):
            raise BrokerError(f"account {self.account}: TWS sent no TotalCashValue yet; retry")
        self._nav = nav
        items = [i for i in self.ib.portfolio(self.account) if i.position]
        if not items and nav > abs(cash) * 1.001 + 1.0:
            raise BrokerError(
                f"account {self.account}: NAV {nav:,.2f} but no positions arrived; missing data "
                "is not a flat position — retry once TWS has sent the portfolio"
            )
        assets = {self.contracts[a.symbol].conId: a for a in self.assets}
        by_con_id = {item.contract.conId: item for item in items}
        quantities, marks = {}, {}
        for asset in self.assets:
            item = by_con_id.get(self.contracts[asset.symbol].conId)
            quantities[asset.symbol] = float(item.position) if item else 0.0
            marks[asset.symbol] = number(item.marketPrice) if item else math.nan
        quotes = await self.quotes([a.symbol for a in self.assets])
        prices, blocked, kinds = {}, {}, {}
        for symbol, quote in quotes.items():
            if quote.price > 0:
                prices[symbol], kinds[symbol] = quote.price, quote.kind
                continue
            prices[symbol], kinds[symbol] = marks[symbol], "portfolio"
            reason = "only yesterday's close" if quote.close > 0 else "no bid, ask or last"
            blocked[symbol] = f"{symbol}: {reason} arrived ({quote.kind} data); orders blocked"
        self.held_contracts = {}
        for item in items:  # held, but not a portfolio asset: valued at TWS's mark
            contract, symbol = item.contract, item.contract.symbol
            if contract.conId in assets:
                continue
            if symbol in quantities:
                blocked[symbol] = (
                    f"{symbol}: held in more than one listing (conId {contract.conId} too); "
                    "trade it in TWS"
                )
                continue
            quantities[symbol] = float(item.position)
            prices[symbol], kinds[symbol] = number(item.marketPrice), "portfolio"
            self.held_contracts[symbol] = contract
        holdings = tuple(self._holding(item, assets, prices) for item in items)
        working = await self.ask(
            self.ib.reqAllOpenOrdersAsync(), "checking for working orders", QUOTE_TIMEOUT
        )
        for trade in working:  # orders of any client still working: never order twice
            symbol = trade.contract.symbol
            live = trade.orderStatus.status not in DONE_STATUSES
            if live and symbol in quantities and trade.order.account in ("", self.account):
                blocked[symbol] = (
                    f"{symbol}: a {trade.order.action} order ({trade.order.orderRef or 'manual'}) "
                    f"is still working, {trade.orderStatus.remaining:g} shares open; no new order"
                )
        cash_by_currency = {
            v.currency: float(v.value)
            for v in values
            if v.tag == "CashBalance" and v.currency not in ("", "BASE")
        }
        return AccountSnapshot(
            broker=self.kind,
            account=self.account,
            base_currency=self.base_currency,
            as_of=datetime.now(UTC).isoformat(timespec="seconds"),
            cash=cash,
            quantities=quantities,
            prices=prices,
            fx=fx,
            blocked=blocked,
            quote_kinds=kinds,
            cash_by_currency=cash_by_currency,
            holdings=holdings,
        )

    def _holding(self, item: Any, assets: dict[int, Any], prices: dict[str, float]) -> Holding:
        """A portfolio item as a :class:`Holding` (an asset's listing from portfolio.toml)."""
        contract = item.contract
        asset = assets.get(contract.conId)
        symbol = asset.symbol if asset else contract.symbol
        price = prices.get(symbol, math.nan) if asset else number(item.marketPrice)
        return Holding(
            symbol=symbol,
            quantity=float(item.position),
            price=price,
            currency=contract.currency,
            exchange=asset.exchange if asset else contract.exchange or "SMART",
            primary_exchange=asset.primary_exchange if asset else contract.primaryExchange,
            average_cost=number(item.averageCost),
            con_id=int(contract.conId),
            in_portfolio=asset is not None,
        )

    def fx(self, currency: str) -> float:
        """Base currency per unit of ``currency``, from TWS's ExchangeRate values.

        Raises:
            BrokerError: TWS has not sent that rate yet.
        """
        if currency == self.base_currency:
            return 1.0
        for v in self.ib.accountValues(self.account):
            if v.tag == "ExchangeRate" and v.currency == currency:
                return float(v.value)
        raise BrokerError(f"no {currency}/{self.base_currency} exchange rate from TWS yet")

    def nav(self) -> float:
        """NetLiquidation in the base currency as TWS reports it now (it keeps the account
        values up to date); the last snapshot's when absent; NaN when never sent."""
        for v in self.ib.accountValues(self.account):
            if v.tag == "NetLiquidation" and v.currency == self.base_currency:
                return number(v.value)
        return self._nav
