"""Encoders for positions, portfolio values and account values (updates, multi, summary)."""

from __future__ import annotations

from typing import Any

from .message_schema import CONTRACT11, Message, Schema, contract11
from .protocol import Out
from .scenario_records import Instrument

_CONTRACT11_DEFAULTS: dict[str, Any] = Schema(0, *CONTRACT11).defaults


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
