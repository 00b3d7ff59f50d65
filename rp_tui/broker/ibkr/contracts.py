"""Contracts: each asset's listing qualified once (conId and minTick cached by symbol)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from rp_tui.errors import BrokerError
from rp_tui.inputs.portfolio import Asset


class ContractsMixin:
    """Part of :class:`~rp_tui.broker.ibkr.IbkrBroker`: symbol → qualified contract.

    Uses ``ib``, ``assets`` and ``held_contracts``; fills ``contracts`` (symbol → ib_async
    ``Contract``, routed through the asset's exchange, or SMART for a position outside the
    portfolio) and ``min_ticks`` (symbol → minTick, listing currency).
    """

    async def qualify(self) -> dict[str, Any]:
        """Qualify every asset once (symbol, exchange, currency → conId); cached.

        Raises:
            BrokerError: symbols IBKR does not know or finds ambiguous (error 200), named
                with their listing; the plan is blocked rather than spread over the rest.
        """
        from ib_async import Stock

        todo = [a for a in self.assets if a.symbol not in self.contracts]
        if not todo:
            return self.contracts
        wanted = [
            Stock(a.symbol, a.exchange, a.currency, primaryExchange=a.primary_exchange)
            for a in todo
        ]
        # One contract-details request per symbol gives both the conId and the minTick.
        found = await self.ask(
            asyncio.gather(*(self.ib.reqContractDetailsAsync(c) for c in wanted)),
            "qualifying contracts",
        )
        unknown = [a for a, details in zip(todo, found, strict=True) if len(details) != 1]
        if unknown:
            names = ", ".join(f"{a.symbol} ({a.exchange}/{a.currency})" for a in unknown)
            raise BrokerError(
                f"IBKR does not know {names} (unknown or ambiguous, error 200); fix symbol, "
                "exchange, primary_exchange or currency in portfolio.toml — no plan until then"
            )
        for asset, (details,) in zip(todo, found, strict=True):
            contract = details.contract
            contract.exchange = asset.exchange  # keep SMART routing, as qualifyContracts does
            self.contracts[asset.symbol] = contract
            self.min_ticks[asset.symbol] = float(details.minTick or 0.01)
        return self.contracts

    async def prepare_run(self, symbols: Sequence[str]) -> None:
        """Qualify the contracts of ``symbols`` before a run (cached after the first): the
        portfolio's assets, and positions held outside the portfolio (by their conId, as
        TWS's portfolio reports them), routed through SMART.

        Raises:
            BrokerError: an unknown contract, or a symbol neither in the portfolio nor held.
        """
        from ib_async import Contract

        await self.qualify()
        for symbol in symbols:
            if symbol in self.contracts:
                continue
            held = self.held_contracts.get(symbol) or next(
                (
                    i.contract
                    for i in self.ib.portfolio(self.account)
                    if i.contract.symbol == symbol and i.position
                ),
                None,
            )
            if held is None:
                raise BrokerError(
                    f"{symbol} is neither in portfolio.toml nor held in {self.account}: "
                    "nothing was sent"
                )
            found = await self.ask(
                self.ib.reqContractDetailsAsync(Contract(conId=held.conId)),
                f"qualifying {symbol}",
            )
            if len(found) != 1:
                raise BrokerError(f"IBKR does not know conId {held.conId} ({symbol}, error 200)")
            contract = found[0].contract
            contract.exchange = "SMART"
            self.contracts[symbol] = contract
            self.min_ticks[symbol] = float(found[0].minTick or 0.01)

    async def qualify_asset(self, asset: Asset) -> int:
        """The conId of a listing not yet in the portfolio (to accept a new asset).

        Raises:
            BrokerError: unknown or ambiguous for IBKR (named with its listing).
        """
        from ib_async import Stock

        await self.connect()
        wanted = Stock(
            asset.symbol, asset.exchange, asset.currency, primaryExchange=asset.primary_exchange
        )
        found = await self.ask(
            self.ib.reqContractDetailsAsync(wanted), f"looking up {asset.symbol}"
        )
        if len(found) != 1:
            raise BrokerError(
                f"IBKR {'finds several' if found else 'does not know'} {asset.symbol} on "
                f"{asset.exchange} in {asset.currency}: check the symbol, exchange and currency"
            )
        return found[0].contract.conId
