"""The interface every broker implements, and the records it exchanges with the app."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

Side = Literal["BUY", "SELL"]


@dataclass(frozen=True)
class AccountSnapshot:
    """An account at one moment.

    Attributes:
        broker: ``"demo"`` or ``"ibkr"``.
        account: account id (``DU…`` for IBKR paper accounts).
        base_currency: currency of ``cash`` and NAV.
        as_of: ISO date (or timestamp) of the prices.
        cash: cash in base currency.
        quantities: shares held per symbol.
        prices: last price per symbol in its listing currency.
        fx: base currency per unit of each currency (the base itself maps to 1.0).
    """

    broker: str
    account: str
    base_currency: str
    as_of: str
    cash: float
    quantities: dict[str, float]
    prices: dict[str, float]
    fx: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderRequest:
    """An order the user confirmed. ``price`` is the reference price (listing currency);
    ``commission`` the model's estimate in the same currency."""

    symbol: str
    side: Side
    quantity: float
    price: float
    currency: str
    commission: float


@dataclass(frozen=True)
class Fill:
    """A (possibly partial) execution: ``quantity`` shares at ``price``, ``commission`` charged,
    both in ``currency``; ``status`` is ``"filled"``, ``"partial"`` or ``"rejected"``."""

    symbol: str
    side: Side
    quantity: float
    price: float
    commission: float
    currency: str
    status: str = "filled"
    message: str = ""


class Broker(Protocol):
    """A source of account state and a place to send confirmed orders."""

    kind: str

    async def snapshot(self) -> AccountSnapshot:
        """Current cash, positions and prices. Raises ``BrokerError`` when unavailable."""
        ...

    async def execute(self, orders: Sequence[OrderRequest]) -> list[Fill]:
        """Send confirmed ``orders`` (sells first) and return their fills."""
        ...
