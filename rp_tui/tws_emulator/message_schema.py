"""Message layouts: ``Schema`` (field names in wire order) and the contract block (C11) they share.

Long messages are declared as a ``Schema``: the field names in wire order, as ib_async's
``Decoder`` reads them, with defaults. Encoding with an unknown name is an error, so a typo
cannot silently shift every later field.
"""

from __future__ import annotations

from typing import Any

from .scenario_records import Instrument

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


#: The contract as OPEN_ORDER / EXECUTION_DATA / POSITION_DATA carry it (C11).
CONTRACT11 = (
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


def contract11(instrument: Instrument, exchange: str) -> dict[str, Any]:
    """C11 contract fields of ``instrument`` for the Schemas that embed ``CONTRACT11``."""
    return {
        "conId": instrument.con_id,
        "symbol": instrument.symbol,
        "secType": instrument.sec_type,
        "exchange": exchange,
        "currency": instrument.currency,
        "localSymbol": instrument.symbol,
        "tradingClass": instrument.trading_class,
    }
