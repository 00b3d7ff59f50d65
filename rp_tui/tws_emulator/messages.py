"""Encoders for server → client messages at server version 176, in one namespace.

Used as ``from . import messages as msg``; the encoders live in per-topic modules:
``message_schema`` (``Schema``, the C11 contract block), ``encoders_session``,
``encoders_market``, ``encoders_account`` and ``encoders_orders``.
"""

from __future__ import annotations

from .encoders_account import (
    account_summary,
    account_summary_end,
    account_update_multi,
    account_update_multi_end,
    acct_download_end,
    acct_update_time,
    acct_value,
    portfolio_value,
    position_data,
    position_end,
)
from .encoders_market import (
    CONTRACT_DATA,
    contract_data,
    contract_data_end,
    historical_data,
    market_data_type,
    tick_price,
    tick_snapshot_end,
)
from .encoders_orders import (
    COMPLETED_ORDER,
    EXECUTION_DATA,
    OPEN_ORDER,
    commission_report,
    completed_orders_end,
    execution_data_end,
    open_order_end,
    order_status,
)
from .encoders_session import current_time, error, managed_accounts, next_valid_id
from .message_schema import CONTRACT11, Message, Schema, contract11

__all__ = [
    "COMPLETED_ORDER",
    "CONTRACT11",
    "CONTRACT_DATA",
    "EXECUTION_DATA",
    "OPEN_ORDER",
    "Message",
    "Schema",
    "account_summary",
    "account_summary_end",
    "account_update_multi",
    "account_update_multi_end",
    "acct_download_end",
    "acct_update_time",
    "acct_value",
    "commission_report",
    "completed_orders_end",
    "contract11",
    "contract_data",
    "contract_data_end",
    "current_time",
    "error",
    "execution_data_end",
    "historical_data",
    "managed_accounts",
    "market_data_type",
    "next_valid_id",
    "open_order_end",
    "order_status",
    "portfolio_value",
    "position_data",
    "position_end",
    "tick_price",
    "tick_snapshot_end",
]
