"""Encoders for connection-level messages: errors, managed accounts, next order id, time."""

from __future__ import annotations

from collections.abc import Sequence

from .message_schema import Message
from .protocol import Out


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
