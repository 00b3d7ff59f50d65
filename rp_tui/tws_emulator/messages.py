"""Encoders for server → client messages at server version 176.

Long messages are declared as a ``Schema``: the field names in wire order, as ib_async's
``Decoder`` reads them, with defaults. Encoding with an unknown name is an error, so a typo
cannot silently shift every later field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .protocol import UNSET_DOUBLE, Out
from .scenario import Bar, Instrument

Message = list[Any]


class Schema:
    """Field layout of one message: names in wire order with their default values."""

    def __init__(self, msg_id: int, *fields: str | tuple[str, Any]):
        self.msg_id = msg_id
        self.defaults: dict[str, Any] = {}
        for spec in fields:
            name, default = spec if isinstance(spec, tuple) else (spec, "")
            if name in self.defaults:
                raise ValueError(f"duplicate field {name}")
            self.defaults[name] = default

    @property
    def names(self) -> list[str]:
        """Field names after the message id, in wire order."""
        return list(self.defaults)

    def __len__(self) -> int:
        return 1 + len(self.defaults)  # the message id counts as a field on the wire

    def encode(self, **values: Any) -> Message:
        """The message's fields, defaults filled in."""
        unknown = values.keys() - self.defaults.keys()
        if unknown:
            raise TypeError(f"unknown field(s) for message {self.msg_id}: {sorted(unknown)}")
        return [self.msg_id, *(values.get(k, d) for k, d in self.defaults.items())]


# The contract as OPEN_ORDER / EXECUTION_DATA / POSITION_DATA carry it (C11).
_CONTRACT11 = (
    ("conId", 0),
    "symbol",
    ("secType", "STK"),
    "lastTradeDate",
    ("strike", 0),
    "right",
    "multiplier",
    "exchange",
    "currency",
    "localSymbol",
    "tradingClass",
)

#: ``Decoder.openOrder`` at v176 for an order without delta-neutral leg, combo legs,
#: scale, hedge, algo or conditions: 128 fields.
OPEN_ORDER = Schema(
    Out.OPEN_ORDER,
    ("orderId", 0),
    *_CONTRACT11,
    "action",
    ("totalQuantity", 0),
    "orderType",
    "lmtPrice",
    "auxPrice",
    "tif",
    "ocaGroup",
    "account",
    "openClose",
    ("origin", 0),
    "orderRef",
    ("clientId", 0),
    ("permId", 0),
    ("outsideRth", False),
    ("hidden", False),
    "discretionaryAmt",
    "goodAfterTime",
    "sharesAllocation",  # deprecated, skipped by the decoder
    "faGroup",
    "faMethod",
    "faPercentage",
    "faProfile",  # server version < 177 only
    "modelCode",
    "goodTillDate",
    "rule80A",
    "percentOffset",
    "settlingFirm",
    "shortSaleSlot",
    "designatedLocation",
    "exemptCode",
    "auctionStrategy",
    "startingPrice",
    "stockRefPrice",
    "delta",
    "stockRangeLower",
    "stockRangeUpper",
    "displaySize",
    "blockOrder",
    "sweepToFill",
    "allOrNone",
    "minQty",
    "ocaType",
    "eTradeOnly",
    "firmQuoteOnly",
    "nbboPriceCap",
    ("parentId", 0),
    "triggerMethod",
    "volatility",
    "volatilityType",
    "deltaNeutralOrderType",  # empty: no delta-neutral block follows
    "deltaNeutralAuxPrice",
    "continuousUpdate",
    "referencePriceType",
    "trailStopPrice",
    "trailingPercent",
    "basisPoints",
    "basisPointsType",
    "comboLegsDescrip",
    ("comboLegCount", 0),
    ("orderComboLegCount", 0),
    ("smartComboRoutingParamCount", 0),
    "scaleInitLevelSize",
    "scaleSubsLevelSize",
    "scalePriceIncrement",  # empty: no scale block follows
    "hedgeType",  # empty: no hedgeParam follows
    "optOutSmartRouting",
    "clearingAccount",
    "clearingIntent",
    "notHeld",
    ("deltaNeutralContractPresent", False),
    "algoStrategy",  # empty: no algo params follow
    "solicited",
    ("whatIf", False),
    "status",
    "initMarginBefore",
    "maintMarginBefore",
    "equityWithLoanBefore",
    "initMarginChange",
    "maintMarginChange",
    "equityWithLoanChange",
    "initMarginAfter",
    "maintMarginAfter",
    "equityWithLoanAfter",
    "commission",
    "minCommission",
    "maxCommission",
    "commissionCurrency",
    "warningText",
    "randomizeSize",
    "randomizePrice",
    ("conditionCount", 0),
    "adjustedOrderType",
    "triggerPrice",
    "adjustedTrailStopPrice",  # the decoder assigns this to trailStopPrice again
    "lmtPriceOffset",
    "adjustedStopPrice",
    "adjustedStopLimitPrice",
    "adjustedTrailingAmount",
    "adjustableTrailingUnit",
    "softDollarTierName",
    "softDollarTierValue",
    "softDollarTierDisplayName",
    "cashQty",
    "dontUseAutoPriceForHedge",
    "isOmsContainer",
    "discretionaryUpToLimitPrice",
    "usePriceMgmtAlgo",
    "duration",  # v159+
    "postToAts",  # v160+
    "autoCancelParent",  # v162+
    "minTradeQty",  # v170+: five fields
    "minCompeteSize",
    "competeAgainstBestOffset",
    "midOffsetAtWhole",
    "midOffsetAtHalf",
)

#: ``Decoder.completedOrder`` at v176 (no orderId, no clientId on the wire).
COMPLETED_ORDER = Schema(
    Out.COMPLETED_ORDER,
    *_CONTRACT11,
    "action",
    ("totalQuantity", 0),
    "orderType",
    "lmtPrice",
    "auxPrice",
    "tif",
    "ocaGroup",
    "account",
    "openClose",
    ("origin", 0),
    "orderRef",
    ("permId", 0),
    ("outsideRth", False),
    ("hidden", False),
    "discretionaryAmt",
    "goodAfterTime",
    "faGroup",
    "faMethod",
    "faPercentage",
    "faProfile",  # server version < 177 only
    "modelCode",
    "goodTillDate",
    "rule80A",
    "percentOffset",
    "settlingFirm",
    "shortSaleSlot",
    "designatedLocation",
    "exemptCode",
    "startingPrice",
    "stockRefPrice",
    "delta",
    "stockRangeLower",
    "stockRangeUpper",
    "displaySize",
    "sweepToFill",
    "allOrNone",
    "minQty",
    "ocaType",
    "triggerMethod",
    "volatility",
    "volatilityType",
    "deltaNeutralOrderType",
    "deltaNeutralAuxPrice",
    "continuousUpdate",
    "referencePriceType",
    "trailStopPrice",
    "trailingPercent",
    "comboLegsDescrip",
    ("comboLegCount", 0),
    ("orderComboLegCount", 0),
    ("smartComboRoutingParamCount", 0),
    "scaleInitLevelSize",
    "scaleSubsLevelSize",
    "scalePriceIncrement",
    "hedgeType",
    "clearingAccount",
    "clearingIntent",
    "notHeld",
    ("deltaNeutralContractPresent", False),
    "algoStrategy",
    "solicited",
    "status",
    "randomizeSize",
    "randomizePrice",
    ("conditionCount", 0),
    "adjustedTrailStopPrice",  # the decoder assigns this to trailStopPrice again
    "lmtPriceOffset",
    "cashQty",
    "dontUseAutoPriceForHedge",
    "isOmsContainer",
    "autoCancelDate",
    ("filledQuantity", 0),
    "refFuturesConId",
    "autoCancelParent",
    "shareholder",
    "imbalanceOnly",
    "routeMarketableToBbo",
    "parentPermId",
    "completedTime",
    "completedStatus",
    "minTradeQty",  # v170+: five fields
    "minCompeteSize",
    "competeAgainstBestOffset",
    "midOffsetAtWhole",
    "midOffsetAtHalf",
)

#: ``Decoder.execDetails`` at v176: exactly 31 fields (no version field).
EXECUTION_DATA = Schema(
    Out.EXECUTION_DATA,
    ("reqId", -1),
    ("orderId", 0),
    *_CONTRACT11,
    "execId",
    "time",
    "account",
    "exchange_",  # the execution's venue, not the contract's routing exchange
    "side",
    ("shares", 0),
    ("price", 0),
    ("permId", 0),
    ("clientId", 0),
    ("liquidation", 0),
    ("cumQty", 0),
    ("avgPrice", 0),
    "orderRef",
    "evRule",
    "evMultiplier",
    "modelCode",
    ("lastLiquidity", 0),
)

#: ``Decoder.contractDetails`` at v176 (>= 164: no version field, no mdSizeMultiplier).
CONTRACT_DATA = Schema(
    Out.CONTRACT_DATA,
    "reqId",
    "symbol",
    "secType",
    "lastTradeDate",
    ("strike", 0),
    "right",
    "exchange",
    "currency",
    "localSymbol",
    "marketName",
    "tradingClass",
    ("conId", 0),
    "minTick",
    "multiplier",
    "orderTypes",
    "validExchanges",
    ("priceMagnifier", 1),
    ("underConId", 0),
    "longName",
    "primaryExchange",
    "contractMonth",
    "industry",
    "category",
    "subcategory",
    "timeZoneId",
    "tradingHours",
    "liquidHours",
    "evRule",
    "evMultiplier",
    ("secIdCount", 0),
    "aggGroup",
    "underSymbol",
    "underSecType",
    "marketRuleIds",
    "realExpirationDate",
    "stockType",
    ("minSize", 1),
    ("sizeIncrement", 1),
    ("suggestedSizeIncrement", 1),
)


_CONTRACT11_DEFAULTS: dict[str, Any] = Schema(0, *_CONTRACT11).defaults


def contract11(instrument: Instrument, exchange: str) -> dict[str, Any]:
    """C11 contract fields of ``instrument`` for the Schemas above."""
    return {
        "conId": instrument.con_id,
        "symbol": instrument.symbol,
        "secType": instrument.sec_type,
        "exchange": exchange,
        "currency": instrument.currency,
        "localSymbol": instrument.symbol,
        "tradingClass": instrument.trading_class,
    }


def error(req_id: int, code: int, text: str, advanced_json: str = "") -> Message:
    """ERR_MSG; codes 2100-2199 and a few others are warnings for the client."""
    return [Out.ERR_MSG, 2, req_id, code, text, advanced_json]


def managed_accounts(account_ids: Sequence[str]) -> Message:
    """MANAGED_ACCTS: exactly three fields, accounts comma-separated."""
    return [Out.MANAGED_ACCTS, 1, ",".join(account_ids)]


def next_valid_id(order_id: int) -> Message:
    """NEXT_VALID_ID: exactly three fields."""
    return [Out.NEXT_VALID_ID, 1, order_id]


def current_time(epoch_seconds: int) -> Message:
    """CURRENT_TIME."""
    return [Out.CURRENT_TIME, 1, epoch_seconds]


def tick_price(req_id: int, tick_type: int, price: float, size: float) -> Message:
    """TICK_PRICE: exactly seven fields, attribute mask 0."""
    return [Out.TICK_PRICE, 6, req_id, tick_type, price, size, 0]


def market_data_type(req_id: int, data_type: int) -> Message:
    """MARKET_DATA_TYPE: 1 live, 2 frozen, 3 delayed, 4 delayed-frozen."""
    return [Out.MARKET_DATA_TYPE, 1, req_id, data_type]


def tick_snapshot_end(req_id: int) -> Message:
    """TICK_SNAPSHOT_END: completes ``reqTickersAsync``."""
    return [Out.TICK_SNAPSHOT_END, 1, req_id]


def contract_data(req_id: int, instrument: Instrument, exchange: str) -> Message:
    """CONTRACT_DATA for one listing, answering on ``exchange`` (as requested)."""
    return CONTRACT_DATA.encode(
        reqId=req_id,
        symbol=instrument.symbol,
        secType=instrument.sec_type,
        exchange=exchange,
        currency=instrument.currency,
        localSymbol=instrument.symbol,
        marketName=instrument.trading_class,
        tradingClass=instrument.trading_class,
        conId=instrument.con_id,
        minTick=instrument.min_tick,
        orderTypes=instrument.order_types,
        validExchanges=instrument.valid_exchanges,
        longName=instrument.long_name,
        primaryExchange=instrument.primary_exchange,
        timeZoneId=instrument.time_zone,
        aggGroup=1,
        marketRuleIds=",".join("26" for _ in instrument.valid_exchanges.split(",")),
        stockType=instrument.stock_type,
    )


def contract_data_end(req_id: int) -> Message:
    """CONTRACT_DATA_END."""
    return [Out.CONTRACT_DATA_END, 1, req_id]


def historical_data(req_id: int, bars: Sequence[Bar], start: str, end: str) -> Message:
    """HISTORICAL_DATA with all bars in one message (the end is implied at v176)."""
    fields: Message = [Out.HISTORICAL_DATA, req_id, start, end, len(bars)]
    for bar in bars:
        fields += [bar.date, bar.open, bar.high, bar.low, bar.close, bar.volume, bar.close, 1]
    return fields


def _c11_list(instrument: Instrument, exchange: str) -> list[Any]:
    c = contract11(instrument, exchange)
    return [c.get(name, default) for name, default in _CONTRACT11_DEFAULTS.items()]


def position_data(
    account: str, instrument: Instrument, quantity: float, avg_cost: float
) -> Message:
    """POSITION_DATA: exactly 16 fields; the contract carries its listing exchange."""
    c11 = _c11_list(instrument, instrument.primary_exchange)
    return [Out.POSITION_DATA, 3, account, *c11, quantity, avg_cost]


def position_end() -> Message:
    """POSITION_END."""
    return [Out.POSITION_END, 1]


def portfolio_value(
    account: str,
    instrument: Instrument,
    quantity: float,
    market_price: float,
    avg_cost: float,
    realized_pnl: float = 0.0,
) -> Message:
    """PORTFOLIO_VALUE: exactly 20 fields; primaryExchange sits where C11 has exchange."""
    market_value = round(quantity * market_price, 2)
    unrealized = round(market_value - quantity * avg_cost, 2)
    c11 = _c11_list(instrument, instrument.primary_exchange)
    pnl = [quantity, market_price, market_value, avg_cost, unrealized, realized_pnl]
    return [Out.PORTFOLIO_VALUE, 8, *c11, *pnl, account]


def acct_value(key: str, value: str, currency: str, account: str) -> Message:
    """ACCT_VALUE (reqAccountUpdates)."""
    return [Out.ACCT_VALUE, 2, key, value, currency, account]


def acct_update_time(hh_mm: str) -> Message:
    """ACCT_UPDATE_TIME."""
    return [Out.ACCT_UPDATE_TIME, 1, hh_mm]


def acct_download_end(account: str) -> Message:
    """ACCT_DOWNLOAD_END: completes ``reqAccountUpdatesAsync``."""
    return [Out.ACCT_DOWNLOAD_END, 1, account]


def account_update_multi(req_id: int, account: str, key: str, value: str, currency: str) -> Message:
    """ACCOUNT_UPDATE_MULTI (model code empty)."""
    return [Out.ACCOUNT_UPDATE_MULTI, 1, req_id, account, "", key, value, currency]


def account_update_multi_end(req_id: int) -> Message:
    """ACCOUNT_UPDATE_MULTI_END."""
    return [Out.ACCOUNT_UPDATE_MULTI_END, 1, req_id]


def account_summary(req_id: int, account: str, tag: str, value: str, currency: str) -> Message:
    """ACCOUNT_SUMMARY."""
    return [Out.ACCOUNT_SUMMARY, 1, req_id, account, tag, value, currency]


def account_summary_end(req_id: int) -> Message:
    """ACCOUNT_SUMMARY_END."""
    return [Out.ACCOUNT_SUMMARY_END, 1, req_id]


def order_status(
    order_id: int,
    status: str,
    filled: float,
    remaining: float,
    avg_fill_price: float,
    perm_id: int,
    last_fill_price: float,
    client_id: int,
    parent_id: int = 0,
    why_held: str = "",
    mkt_cap_price: float = 0.0,
) -> Message:
    """ORDER_STATUS (no version field at v176)."""
    return [
        Out.ORDER_STATUS,
        order_id,
        status,
        filled,
        remaining,
        avg_fill_price,
        perm_id,
        parent_id,
        last_fill_price,
        client_id,
        why_held,
        mkt_cap_price,
    ]


def open_order_end() -> Message:
    """OPEN_ORDER_END."""
    return [Out.OPEN_ORDER_END, 1]


def completed_orders_end() -> Message:
    """COMPLETED_ORDERS_END: no version field."""
    return [Out.COMPLETED_ORDERS_END]


def execution_data_end(req_id: int) -> Message:
    """EXECUTION_DATA_END."""
    return [Out.EXECUTION_DATA_END, 1, req_id]


def commission_report(
    exec_id: str,
    commission: float,
    currency: str,
    realized_pnl: float | None = None,
    yield_: float | None = None,
    yield_redemption_date: int | None = None,
) -> Message:
    """COMMISSION_REPORT: exactly eight fields; unknown values as 1.797e308."""
    unset = UNSET_DOUBLE
    return [
        Out.COMMISSION_REPORT,
        1,
        exec_id,
        commission,
        currency,
        unset if realized_pnl is None else realized_pnl,
        unset if yield_ is None else yield_,
        0 if yield_redemption_date is None else yield_redemption_date,
    ]
