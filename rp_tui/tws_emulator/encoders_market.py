"""Encoders for contract details, market data ticks and historical bars."""

from __future__ import annotations

from collections.abc import Sequence

from .message_schema import Message, Schema
from .protocol import Out
from .scenario_records import Bar, Instrument

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
