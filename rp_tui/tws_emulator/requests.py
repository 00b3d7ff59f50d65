"""Parsers for client → server requests, mirroring ib_async's ``Client`` encoders at v176."""

from __future__ import annotations

from dataclasses import dataclass

from .protocol import SERVER_VERSION, UNSET_DOUBLE, FieldReader


@dataclass(frozen=True)
class ContractQuery:
    """The 12-field contract block a client sends with most requests."""

    con_id: int = 0
    symbol: str = ""
    sec_type: str = ""
    last_trade_date: str = ""
    strike: str = ""
    right: str = ""
    multiplier: str = ""
    exchange: str = ""
    primary_exchange: str = ""
    currency: str = ""
    local_symbol: str = ""
    trading_class: str = ""

    @classmethod
    def read(cls, r: FieldReader) -> ContractQuery:
        """Read the block: conId, symbol, …, primaryExchange, currency, …, tradingClass."""
        con_id = r.int()
        return cls(con_id, *(r.str() for _ in range(11)))


@dataclass(frozen=True)
class PlacedOrder:
    """The fields of a placeOrder message the emulator acts on (and tests assert on)."""

    order_id: int
    client_id: int
    contract: ContractQuery
    action: str
    total_quantity: float
    order_type: str
    lmt_price: float | None
    aux_price: float | None
    tif: str
    account: str
    order_ref: str
    transmit: bool
    parent_id: int
    outside_rth: bool
    what_if: bool

    @property
    def symbol(self) -> str:
        """Symbol of the ordered contract."""
        return self.contract.symbol


def parse_place_order(
    fields: list[str], client_id: int, server_version: int = SERVER_VERSION
) -> PlacedOrder:
    """Decode placeOrder, following ``Client.placeOrder`` through its optional blocks."""
    r = FieldReader(fields)
    order_id = r.int()
    contract = ContractQuery.read(r)
    r.skip(2)  # secIdType, secId
    action, quantity, order_type = r.str(), r.float() or 0.0, r.str()
    lmt_price, aux_price = r.float(), r.float()
    tif, _oca_group, account = r.str(), r.str(), r.str()
    r.skip(2)  # openClose, origin
    order_ref, transmit, parent_id = r.str(), r.bool(), r.int()
    r.skip(4)  # blockOrder, sweepToFill, displaySize, triggerMethod
    outside_rth = r.bool()
    r.skip(1)  # hidden
    if contract.sec_type == "BAG":
        r.skip(8 * r.int())  # combo legs
        r.skip(r.int())  # order combo leg prices
        r.skip(2 * r.int())  # smart combo routing params
    r.skip(7)  # "", discretionaryAmt, goodAfterTime, goodTillDate, faGroup/Method/Percentage
    if server_version < 177:
        r.skip(1)  # faProfile
    # modelCode … volatilityType (22 fields), then deltaNeutralOrderType
    r.skip(22)
    if r.str():  # deltaNeutralOrderType
        r.skip(1 + 8)  # deltaNeutralAuxPrice + the delta-neutral block
    else:
        r.skip(1)  # deltaNeutralAuxPrice
    r.skip(6)  # continuousUpdate … scaleSubsLevelSize
    increment = r.float()
    if increment is not None and 0 < increment < UNSET_DOUBLE:
        r.skip(7)  # scale block
    r.skip(3)  # scaleTable, activeStartTime, activeStopTime
    if r.str():  # hedgeType
        r.skip(1)  # hedgeParam
    r.skip(4)  # optOutSmartRouting, clearingAccount, clearingIntent, notHeld
    if r.bool():  # delta-neutral contract
        r.skip(3)
    if r.str():  # algoStrategy
        r.skip(2 * r.int())
    r.skip(1)  # algoId
    what_if = r.bool()
    return PlacedOrder(
        order_id=order_id,
        client_id=client_id,
        contract=contract,
        action=action,
        total_quantity=quantity,
        order_type=order_type,
        lmt_price=lmt_price,
        aux_price=aux_price,
        tif=tif,
        account=account,
        order_ref=order_ref,
        transmit=transmit,
        parent_id=parent_id,
        outside_rth=outside_rth,
        what_if=what_if,
    )


@dataclass(frozen=True)
class MarketDataRequest:
    """reqMktData: ``1,11,reqId,<contract>,[legs],dnc,genericTicks,snapshot,…``."""

    req_id: int
    contract: ContractQuery
    snapshot: bool

    @classmethod
    def parse(cls, fields: list[str]) -> MarketDataRequest:
        """Decode reqMktData."""
        r = FieldReader(fields, start=2)
        req_id = r.int()
        contract = ContractQuery.read(r)
        if contract.sec_type == "BAG":
            r.skip(4 * r.int())
        if r.bool():  # delta-neutral contract
            r.skip(3)
        r.skip(1)  # genericTickList
        return cls(req_id, contract, r.bool())


@dataclass(frozen=True)
class HistoricalRequest:
    """reqHistoricalData: ``20,reqId,<contract>,includeExpired,end,barSize,duration,…``."""

    req_id: int
    contract: ContractQuery
    end: str
    bar_size: str
    duration: str
    use_rth: bool
    what_to_show: str

    @classmethod
    def parse(cls, fields: list[str]) -> HistoricalRequest:
        """Decode reqHistoricalData."""
        r = FieldReader(fields)
        req_id = r.int()
        contract = ContractQuery.read(r)
        r.skip(1)  # includeExpired
        end, bar_size, duration = r.str(), r.str(), r.str()
        use_rth, what_to_show = r.bool(), r.str()
        return cls(req_id, contract, end, bar_size, duration, use_rth, what_to_show)


@dataclass(frozen=True)
class ExecutionFilterRequest:
    """reqExecutions: ``7,3,reqId,clientId,acctCode,time,symbol,secType,exchange,side``."""

    req_id: int
    client_id: int
    account: str
    time: str
    symbol: str
    sec_type: str
    exchange: str
    side: str

    @classmethod
    def parse(cls, fields: list[str]) -> ExecutionFilterRequest:
        """Decode reqExecutions."""
        r = FieldReader(fields, start=2)
        return cls(r.int(), r.int(), *(r.str() for _ in range(6)))
