"""The interface every broker implements, and the records it exchanges with the app.

Brokers implement primitives only (access, quotes, prepare, place, wait, cancel, outcome);
the sequence and every guard around them live in :mod:`rp_tui.services.order_flow`, the one
execution path all brokers share.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from rp_tui.domain.fee_model import FeeTable
from rp_tui.domain.safety import SafetyLimits
from rp_tui.inputs.portfolio import Execution
from rp_tui.state.trade_log import TradeLog

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
class Holding:
    """One position the account holds, listed in portfolio.toml or not.

    Attributes:
        symbol: ticker.
        quantity: shares held (negative when short).
        price: last price in the listing currency (a fresh quote for portfolio assets, the
            broker's mark otherwise); NaN when none.
        currency: listing currency.
        exchange: where orders are routed (``SMART`` when the broker names none).
        primary_exchange: the listing exchange, "" when unknown.
        average_cost: cost per share in the listing currency, commissions included (IBKR's
            ``averageCost``; the demo's running average of its buys); NaN when unknown.
        con_id: IBKR contract id (0 for the demo).
        in_portfolio: whether portfolio.toml lists the symbol.
    """

    symbol: str
    quantity: float
    price: float
    currency: str
    exchange: str
    primary_exchange: str
    average_cost: float
    con_id: int = 0
    in_portfolio: bool = True


@dataclass(frozen=True)
class AccountSnapshot:
    """An account at one moment.

    Attributes:
        broker: ``"demo"`` or ``"ibkr"``.
        account: account id (``DU…`` for IBKR paper accounts).
        base_currency: currency of ``cash`` and NAV.
        as_of: ISO date (or timestamp) of the prices.
        cash: cash in base currency.
        quantities: shares held per symbol: every portfolio asset (0 when not held) and
            every other symbol the account holds.
        prices: last price per symbol of ``quantities`` in its listing currency (NaN when
            none arrived).
        fx: base currency per unit of each currency (the base itself maps to 1.0).
        blocked: symbols whose orders must not be sent, with the reason (a missing, zero,
            NaN or stale price; an unknown contract; a working order).
        quote_kinds: what kind of price arrived per symbol: ``live``, ``delayed``,
            ``close`` (the demo's historical close) or ``portfolio`` (TWS's mark only).
        cash_by_currency: cash per currency the broker reports, each in its own currency.
        holdings: one :class:`Holding` per position held (quantity ≠ 0), in or outside the
            portfolio, with its listing and average cost.
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
    holdings: tuple[Holding, ...] = ()


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


@dataclass(frozen=True)
class TradingAccess:
    """What the execution path must know before anything may be sent.

    Attributes:
        account: the account id orders go to.
        read_only: the connection may not trade (``[broker] read_only``).
        connected: connected and TWS connected to IBKR (no error 1100 pending).
        live: a real-money account (IBKR accounts not starting with ``DU``).
        allow_live: ``[broker] allow_live``.
        where: the venue in words, for messages (``IBKR through 127.0.0.1:7497``).
        name: its short name (``IBKR``, ``the demo account``).
        read_only_reason: why the broker cannot trade, when no setting can change it (a
            statement); "" means ``[broker] read_only`` decides.
        fractional: the broker takes fractional-share orders (Alpaca, the demo; not IBKR's
            API for most ETFs).
    """

    account: str
    read_only: bool
    connected: bool
    live: bool
    allow_live: bool
    where: str
    name: str
    read_only_reason: str = ""
    fractional: bool = False


@dataclass(frozen=True)
class PreparedOrder:
    """An order ready to leave: ``price`` is the limit on the contract's tick (or a market
    order's reference price), listing currency; ``order_type`` ``LMT`` or ``MKT``;
    ``handle`` the broker's own order object (an ib_async ``Order``; ``None`` for the demo).
    """

    request: OrderRequest
    order_ref: str
    order_type: str
    price: float
    handle: Any = None


@dataclass
class Ticket:
    """An order that left: the broker keeps its live state in ``handle`` (an ib_async
    ``Trade``, or the demo's outcome); ``cancel_requested`` once the run asked to cancel."""

    prepared: PreparedOrder
    handle: Any = None
    cancel_requested: bool = False


@dataclass(frozen=True)
class ExecutionReport:
    """One execution, booked once by ``exec_id``: ``shares`` at ``price`` (listing
    currency) and its ``commission`` in ``commission_currency``."""

    exec_id: str
    shares: float
    price: float
    commission: float
    commission_currency: str


@dataclass(frozen=True)
class OrderOutcome:
    """Where an order stands: ``filled`` shares at ``avg_price`` (listing currency) paying
    ``commission``; ``status`` as :class:`Fill`; ``working`` while the broker still works
    the rest; ``executions`` each execution once; ``message`` the broker's last words."""

    status: str
    filled: float
    avg_price: float
    commission: float
    message: str = ""
    working: bool = False
    executions: tuple[ExecutionReport, ...] = ()


@dataclass(frozen=True)
class BrokerOrder:
    """An order the broker knows by its order reference, as reconciliation reads it.

    Attributes:
        order_ref: the reference the order was sent with (``rp-tui:<run id>:<leg>``).
        symbol: ticker. side: ``BUY`` or ``SELL``.
        quantity: shares ordered (the sum of the executions when the broker no longer
            lists the order itself, only its executions).
        filled: shares executed so far (≥ 0).
        status: ``working`` (the broker still works the rest: more may fill),
            ``filled``, or ``cancelled`` (done with ``filled`` < ``quantity``: cancelled,
            expired or rejected).
        avg_price: average execution price, listing currency; NaN when nothing filled.
        executions: each execution once (by ``exec_id``) with its commission; empty when
            the broker reports none (the demo account reports one per fill).
    """

    order_ref: str
    symbol: str
    side: Side
    quantity: float
    filled: float
    status: str
    avg_price: float
    executions: tuple[ExecutionReport, ...] = ()


class Broker(Protocol):
    """A source of account state and the primitives of sending confirmed orders.

    ``limits`` (pre-trade caps), ``execution`` (order type, fill timeout, unfilled) and
    ``log`` (the trade log) are the portfolio's settings the execution path applies.
    """

    kind: str
    limits: SafetyLimits
    execution: Execution
    log: TradeLog

    async def snapshot(self) -> AccountSnapshot:
        """Current cash, positions and prices. Raises ``BrokerError`` when unavailable."""
        ...

    def access(self) -> TradingAccess:
        """Account, read-only, connection and live-account facts, read now."""
        ...

    async def prepare_run(self, symbols: Sequence[str]) -> None:
        """Make every symbol quotable and tradable (IBKR qualifies contracts, the demo
        loads and reconciles its account). Raises ``BrokerError`` (unknown symbol…)."""
        ...

    async def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """A fresh quote per symbol. Raises ``BrokerError`` when none can arrive."""
        ...

    def nav(self) -> float:
        """Net liquidation value now, base currency; NaN when unknown."""
        ...

    def fx(self, currency: str) -> float:
        """Base currency per unit of ``currency``. Raises ``BrokerError`` when unknown."""
        ...

    def buy_fees(self, symbols: Sequence[str]) -> FeeTable:
        """Commission schedules of ``symbols`` (in that order), to resize buys."""
        ...

    def prepare(self, order: OrderRequest, quote: Quote, order_ref: str) -> PreparedOrder:
        """The order as it would leave: its limit on the tick from ``quote``."""
        ...

    async def place(self, prepared: PreparedOrder, run_id: str) -> Ticket:
        """Send one order now. Raises ``BrokerError`` if it could not leave."""
        ...

    async def wait(self, tickets: Sequence[Ticket], timeout: float) -> None:
        """Return when every ticket is done (and reported), after ``timeout`` seconds, or
        when the connection drops."""
        ...

    async def cancel(self, ticket: Ticket) -> None:
        """Ask the broker to cancel what is left of a working order."""
        ...

    def outcome(self, ticket: Ticket) -> OrderOutcome:
        """Where the order stands now (fills booked once per execution)."""
        ...

    async def orders_by_ref(self, prefix: str) -> list[BrokerOrder]:
        """Reconciliation: every order the broker knows whose order reference starts with
        ``prefix`` — working, done today (filled, cancelled, rejected) or known only by its
        executions — one :class:`BrokerOrder` per reference, each execution once.

        Read-only: sends nothing and works on a read-only connection. An order that never
        reached the broker is simply absent. IBKR asks TWS for all open orders, completed
        orders and executions (any client id of the account); the demo account reads its
        own write-ahead fills.

        Raises:
            BrokerError: the broker cannot be asked now (not reachable, dropped meanwhile):
                the caller must not send anything until it can.
        """
        ...
