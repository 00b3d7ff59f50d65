"""Constants of the TWS API and the conversions of the values ib_async hands over."""

from __future__ import annotations

import math
from typing import Any

NOT_SUBSCRIBED = frozenset({354, 10089, 10167, 10168})
UNSET_DOUBLE = 1.7976931348623157e308  # TWS's "no value" (e.g. an unknown what-if commission)
MARKET_DATA_KINDS = {1: "live", 2: "frozen", 3: "delayed", 4: "delayed-frozen"}
DONE_STATUSES = frozenset({"Filled", "Cancelled", "ApiCancelled", "Inactive"})
QUOTE_TIMEOUT = 10.0  # seconds for a snapshot quote, a what-if or the open-order list
WATCHDOG_SECONDS = 60.0  # no data for this long: ask TWS for its time to prove it is alive


def number(value: Any) -> float:
    """A price or size from ib_async as a float; NaN, -1 and UNSET_DOUBLE all become NaN."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return math.nan
    return x if math.isfinite(x) and 0 < x < UNSET_DOUBLE else math.nan


def amount(value: Any) -> float:
    """A money amount that may be unset: 0.0 when TWS has not sent one."""
    x = number(value)
    return x if x > 0 else 0.0


def why(exc: Exception, timeout: float) -> str:
    """A connection failure in words: a silent timeout says how long it waited (seconds)."""
    if isinstance(exc, TimeoutError) and not str(exc):
        return f"no answer within {timeout:g} s"
    return f"{type(exc).__name__}: {exc}"
