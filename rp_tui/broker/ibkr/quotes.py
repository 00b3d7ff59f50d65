"""Snapshot quotes; a symbol without a live subscription is asked again as delayed data."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from rp_tui.broker.base import Quote
from rp_tui.broker.ibkr.ib_values import MARKET_DATA_KINDS, NOT_SUBSCRIBED, QUOTE_TIMEOUT, number
from rp_tui.errors import BrokerError


class QuotesMixin:
    """Part of :class:`~rp_tui.broker.ibkr.IbkrBroker`: fresh prices. Uses ``ib``,
    ``contracts`` (qualified first) and ``address``."""

    async def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """Snapshot quotes per symbol (listing currency, NaN where a field did not arrive);
        symbols without a live subscription (errors 354, 10089, 10167, 10168) are asked
        again as delayed data, and ``Quote.kind`` says which arrived.

        Raises:
            BrokerError: the connection dropped, or no answer within ``QUOTE_TIMEOUT``.
        """
        errors: dict[str, int] = {}

        def remember(req_id: int, code: int, message: str, contract: Any = None) -> None:
            if contract is not None and code in NOT_SUBSCRIBED:
                errors[contract.symbol] = code

        self.ib.errorEvent += remember
        try:
            quotes = await self._snapshot_quotes(symbols, market_data_type=1)
            retry = [s for s in symbols if s in errors and not quotes[s].price > 0]
            if retry:
                quotes.update(await self._snapshot_quotes(retry, market_data_type=3))
        finally:
            self.ib.errorEvent -= remember
        return quotes

    async def _snapshot_quotes(self, symbols: Sequence[str], market_data_type: int):
        self.ib.reqMarketDataType(market_data_type)
        contracts = [self.contracts[s] for s in symbols]
        try:
            tickers = await asyncio.wait_for(self.ib.reqTickersAsync(*contracts), QUOTE_TIMEOUT)
        except ConnectionError as exc:
            raise BrokerError(f"connection to TWS at {self.address} dropped: {exc}") from exc
        except TimeoutError as exc:
            raise BrokerError(
                f"no quotes from TWS at {self.address} within {QUOTE_TIMEOUT:g} s for "
                f"{', '.join(symbols)}; check market data permissions"
            ) from exc
        now = time.time()
        return {
            s: Quote(
                s,
                number(t.bid),
                number(t.ask),
                number(t.last),
                number(t.close),
                MARKET_DATA_KINDS.get(t.marketDataType, "live"),
                now,
            )
            for s, t in zip(symbols, tickers, strict=True)
        }
