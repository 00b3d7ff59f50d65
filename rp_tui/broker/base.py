"""The interface every broker implements, and the records it exchanges with the app."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

Side = Literal["BUY", "SELL"]


@dataclass(frozen=True)
class Quote:
    """A snapshot quote in the listing currency; NaN where a field did not arrive.

    ``kind`` is ``live``, ``delayed``, ``frozen``, ``delayed-frozen`` or ``close`` (the demo
    account's last close); ``received`` is a ``time.time()`` stamp (seconds).
    """

    symbol: str
    bid: float
    ask: float
    last: float
    close: float
    kind: str
    received: float

    @property
    def price(self) -> float:
        """Reference price: last inside the spread, else the midpoint, else last; NaN if none."""
        bid, ask, last = self.bid, self.ask, self.last
        if bid > 0 and ask >= bid:
            return last if bid <= last <= ask else (bid + ask) / 2
        return last if last > 0 else math.nan

    def side_price(self, side: str) -> float:
        """The price a marketable order crosses to: the ask for buys, the bid for sells."""
        quote = self.ask if side == "BUY" else self.bid
        return quote if quote > 0 else self.price


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
        blocked: symbols whose orders must not be sent, with the reason (a missing, zero,
            NaN or stale price; an unknown contract).
        quote_kinds: what kind of price arrived per symbol: ``live``, ``delayed``,
            ``close`` (the demo's historical close) or ``portfolio`` (TWS's mark only).
        cash_by_currency: cash per currency, each in its own currency.
    """

    broker: str
    account: str
    base_currency: str
    as_of: str
    cash: float
    quantities: dict[str, float]
    prices: dict[str, float]
    fx: dict[str, float] = field(default_factory=dict)
    blocked: dict[str, str] = field(default_factory=dict)
    quote_kinds: dict[str, str] = field(default_factory=dict)
    cash_by_currency: dict[str, float] = field(default_factory=dict)


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
    """The outcome of one order: ``quantity`` shares filled at average ``price``,
    ``commission`` charged, both in ``currency``.

    ``status`` is ``filled``, ``partial`` (``remaining`` shares still open or cancelled),
    ``open``, ``cancelled``, ``rejected`` (``message`` gives IBKR's reason) or ``unknown``
    (the connection dropped before the outcome arrived: never re-sent, reconcile first).
    """

    symbol: str
    side: Side
    quantity: float
    price: float
    commission: float
    currency: str
    status: str = "filled"
    message: str = ""
    remaining: float = 0.0
    order_ref: str = ""


class Broker(Protocol):
    """A source of account state and a place to send confirmed orders."""

    kind: str

    async def snapshot(self) -> AccountSnapshot:
        """Current cash, positions and prices. Raises ``BrokerError`` when unavailable."""
        ...

    async def execute(
        self,
        orders: Sequence[OrderRequest],
        *,
        run_id: str = "",
        buy_budget: float | None = None,
        typed_confirmation: str = "",
    ) -> list[Fill]:
        """Send confirmed ``orders``: sells first, then buys sized on the cash actually
        received. ``buy_budget`` is the base-currency cash buys may spend before sale
        proceeds (``None``: the orders as given); ``typed_confirmation`` is the account id a
        live account needs typed. Returns one :class:`Fill` per order."""
        ...
