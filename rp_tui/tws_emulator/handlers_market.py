"""Request handlers for contract details and market data (live, frozen or delayed quotes)."""

from __future__ import annotations

from . import messages as msg
from .protocol import ERROR_TEXT, FieldReader
from .requests import ContractQuery, MarketDataRequest
from .scenario_records import Instrument


class MarketDataHandlers:
    """``Session`` mixin: contract lookup and details, market data type, quote snapshots.

    The session provides ``emu``, ``send`` and ``market_data_type``; the history and
    order handlers use ``_instruments`` too.
    """

    def _instruments(self, q: ContractQuery) -> list[Instrument]:
        scenario = self.emu.scenario
        return scenario.find_instruments(
            q.con_id, q.symbol, q.sec_type, q.exchange, q.primary_exchange, q.currency
        )

    def _req_contract_details(self, fields: list[str]) -> None:
        req_id = int(fields[2])
        query = ContractQuery.read(FieldReader(fields, start=3))
        found = self._instruments(query)
        if not found:
            self.send(msg.error(req_id, 200, ERROR_TEXT[200]))
            return
        for instrument in found:
            self.send(msg.contract_data(req_id, instrument, query.exchange or instrument.exchange))
        self.send(msg.contract_data_end(req_id))

    def _req_market_data_type(self, fields: list[str]) -> None:
        self.market_data_type = int(fields[2])

    def _req_mkt_data(self, fields: list[str]) -> None:
        req = MarketDataRequest.parse(fields)
        found = self._instruments(req.contract)
        if len(found) != 1:
            self.send(msg.error(req.req_id, 200, ERROR_TEXT[200]))
            return
        self._serve_quote(req.req_id, found[0].symbol)
        if req.snapshot:
            self.send(msg.tick_snapshot_end(req.req_id))

    def _serve_quote(self, req_id: int, symbol: str) -> None:
        quote = self.emu.scenario.quotes.get(symbol)
        if quote is None:
            return  # no ticks at all, like an illiquid contract
        frozen = self.market_data_type in (2, 4)
        if quote.live:
            served = 2 if frozen else 1
        else:
            if self.market_data_type in (1, 2):
                code = quote.not_subscribed_code
                self.send(msg.error(req_id, code, ERROR_TEXT.get(code, ERROR_TEXT[354])))
                if code != 10167:  # 10167 is a warning: delayed data follows
                    return
            if not quote.delayed:
                self.send(msg.error(req_id, 10168, ERROR_TEXT[10168]))
                return
            served = 4 if frozen else 3
        self.send(msg.market_data_type(req_id, served))
        delayed = served >= 3
        ticks = (
            (66 if delayed else 1, quote.bid, quote.bid_size),
            (67 if delayed else 2, quote.ask, quote.ask_size),
            (68 if delayed else 4, quote.last, quote.last_size),
            (75 if delayed else 9, quote.close, 0),
        )
        for tick_type, price, size in ticks:
            if price is not None:
                self.send(msg.tick_price(req_id, tick_type, price, size))
