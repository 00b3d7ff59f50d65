"""TWS API wire format: framing, field formatting, message ids and error texts.

Every message is a 4-byte big-endian length followed by NUL-terminated text fields. The
server speaks version 176: above 200 TWS switches to protobuf, and ib_insync stops at 176.
"""

from __future__ import annotations

import asyncio
import math
import re
import struct
from collections.abc import Iterable
from enum import IntEnum
from typing import Any

SERVER_VERSION = 176

#: IB's "no value" double; ib_async reads it back as ``UNSET_DOUBLE``.
UNSET_DOUBLE = 1.7976931348623157e308
UNSET_TEXT = "1.7976931348623157E308"

_HEADER = struct.Struct(">I")
#: A sane upper bound so a garbage length prefix cannot make us allocate gigabytes.
MAX_FRAME = 16 * 1024 * 1024


class Out(IntEnum):
    """Ids of messages the server sends (ib_async ``Decoder.handlers``)."""

    TICK_PRICE = 1
    TICK_SIZE = 2
    ORDER_STATUS = 3
    ERR_MSG = 4
    OPEN_ORDER = 5
    ACCT_VALUE = 6
    PORTFOLIO_VALUE = 7
    ACCT_UPDATE_TIME = 8
    NEXT_VALID_ID = 9
    CONTRACT_DATA = 10
    EXECUTION_DATA = 11
    MANAGED_ACCTS = 15
    HISTORICAL_DATA = 17
    CURRENT_TIME = 49
    CONTRACT_DATA_END = 52
    OPEN_ORDER_END = 53
    ACCT_DOWNLOAD_END = 54
    EXECUTION_DATA_END = 55
    TICK_SNAPSHOT_END = 57
    MARKET_DATA_TYPE = 58
    COMMISSION_REPORT = 59
    POSITION_DATA = 61
    POSITION_END = 62
    ACCOUNT_SUMMARY = 63
    ACCOUNT_SUMMARY_END = 64
    POSITION_MULTI_END = 72
    ACCOUNT_UPDATE_MULTI = 73
    ACCOUNT_UPDATE_MULTI_END = 74
    COMPLETED_ORDER = 101
    COMPLETED_ORDERS_END = 102


class In(IntEnum):
    """Ids of messages the client sends (ib_async ``Client`` request methods)."""

    REQ_MKT_DATA = 1
    CANCEL_MKT_DATA = 2
    PLACE_ORDER = 3
    CANCEL_ORDER = 4
    REQ_OPEN_ORDERS = 5
    REQ_ACCT_DATA = 6
    REQ_EXECUTIONS = 7
    REQ_IDS = 8
    REQ_CONTRACT_DATA = 9
    REQ_AUTO_OPEN_ORDERS = 15
    REQ_ALL_OPEN_ORDERS = 16
    REQ_MANAGED_ACCTS = 17
    REQ_HISTORICAL_DATA = 20
    CANCEL_HISTORICAL_DATA = 25
    REQ_CURRENT_TIME = 49
    REQ_GLOBAL_CANCEL = 58
    REQ_MARKET_DATA_TYPE = 59
    REQ_POSITIONS = 61
    REQ_ACCOUNT_SUMMARY = 62
    CANCEL_ACCOUNT_SUMMARY = 63
    CANCEL_POSITIONS = 64
    START_API = 71
    REQ_POSITIONS_MULTI = 74
    REQ_ACCOUNT_UPDATES_MULTI = 76
    CANCEL_ACCOUNT_UPDATES_MULTI = 77
    REQ_COMPLETED_ORDERS = 99


#: Default texts of the error codes the emulator sends (reqId -1 unless request-bound).
ERROR_TEXT: dict[int, str] = {
    103: "Duplicate order id",
    110: "The price does not conform to the minimum price variation for this contract.",
    162: "Historical Market Data Service error message:API historical data query cancelled",
    200: "No security definition has been found for the request",
    201: "Order rejected - reason:",
    202: "Order Canceled - reason:",
    326: "Unable to connect as the client id is already in use. Retry with a unique client id.",
    354: "Requested market data is not subscribed.",
    1100: "Connectivity between IB and Trader Workstation has been lost.",
    1101: "Connectivity between IB and Trader Workstation has been restored - data lost.",
    1102: "Connectivity between IB and Trader Workstation has been restored - data maintained.",
    2104: "Market data farm connection is OK:usfarm",
    2106: "HMDS data farm connection is OK:ushmds",
    2158: "Sec-def data farm connection is OK:secdefnj",
    10089: (
        "Requested market data requires additional subscription for API. See link in "
        "'Market Data Connections' dialog for more details.Delayed market data is available."
    ),
    10167: "Requested market data is not subscribed. Displaying delayed market data.",
    10168: "Requested market data is not subscribed. Delayed market data is not enabled.",
    10243: "Fractional-sized order cannot be placed via API. Please use TWS or Portal.",
}


def fmt(value: Any) -> str:
    """Format one field the way TWS does: bools as 1/0, ``None`` and unset as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value == UNSET_DOUBLE:
            return UNSET_TEXT
        if math.isfinite(value) and value.is_integer():
            return str(int(value))  # "100" rather than "100.0", as TWS prints quantities
        return repr(value)
    return str(value)


def frame(fields: Iterable[Any]) -> bytes:
    """Encode fields as one length-prefixed message."""
    payload = "".join(fmt(f) + "\0" for f in fields).encode()
    return _HEADER.pack(len(payload)) + payload


def split_fields(payload: bytes) -> list[str]:
    """Split a message body into its fields (the trailing NUL leaves no extra field)."""
    fields = payload.decode(errors="backslashreplace").split("\0")
    if fields and fields[-1] == "":
        fields.pop()
    return fields


async def read_payload(reader: asyncio.StreamReader) -> bytes:
    """Read one length-prefixed message body; raises ``IncompleteReadError`` at EOF."""
    (size,) = _HEADER.unpack(await reader.readexactly(_HEADER.size))
    if size > MAX_FRAME:
        raise ConnectionError(f"frame of {size} bytes is too large")
    return await reader.readexactly(size)


_VERSION_RANGE = re.compile(rb"v(\d+)(?:\.\.(\d+))?")


async def read_handshake(reader: asyncio.StreamReader) -> tuple[int, int]:
    """Read ``API\\0`` plus the client's ``vMIN..MAX`` string; return (min, max)."""
    prefix = await reader.readexactly(4)
    if prefix != b"API\0":
        raise ConnectionError(f"not a TWS API client (got {prefix!r})")
    match = _VERSION_RANGE.match(await read_payload(reader))
    if not match:
        raise ConnectionError("client sent no version range")
    low = int(match.group(1))
    return low, int(match.group(2) or low)


class FieldReader:
    """Sequential reader over a client message, mirroring the client's encoder order."""

    def __init__(self, fields: list[str], start: int = 1):
        self._fields = fields
        self._pos = start

    def str(self) -> str:
        """Next field as text ("" past the end, so short messages degrade gracefully)."""
        value = self._fields[self._pos] if self._pos < len(self._fields) else ""
        self._pos += 1
        return value

    def int(self, default: int = 0) -> int:
        """Next field as an int (``default`` when empty)."""
        text = self.str()
        return int(text) if text else default

    def float(self) -> float | None:
        """Next field as a float, ``None`` when empty (IB's unset)."""
        text = self.str()
        return float(text) if text else None

    def bool(self) -> bool:
        """Next field as a 1/0 flag."""
        return self.str() not in ("", "0")

    def skip(self, n: int = 1) -> None:
        """Skip ``n`` fields the emulator has no use for."""
        self._pos += n
