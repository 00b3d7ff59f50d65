"""Order primitives at Alpaca: trading access, orders as they leave (whole or fractional
shares, limit or market, ``client_order_id = rp-tui:<run>:<leg>``), each order's life
(submitted, statuses, fills booked once), cancels, and the orders of a run found again.

Never two orders for one leg: Alpaca refuses a second order with the same
``client_order_id`` (HTTP 422), so when a submission's answer is lost (a 5xx, a timeout, a
dropped connection) the order is looked up by that id and adopted if it arrived, sent again
(same id) if it did not. Executions are the increments of the order's cumulative
``filled_qty`` / ``filled_avg_price``, each booked once (``<order id>:<cumulative qty>``).
Alpaca charges no commission on US equities (regulatory fees are taken at the end of the
day, not per order), so executions carry commission 0.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from alpaca.common.exceptions import APIError

from rp_tui.broker.alpaca.alpaca_link import NETWORK_ERRORS, error_parts
from rp_tui.broker.base import (
    BrokerOrder,
    ExecutionReport,
    OrderOutcome,
    OrderRequest,
    PreparedOrder,
    Quote,
    Ticket,
    TradingAccess,
)
from rp_tui.domain.fee_model import FeeTable
from rp_tui.domain.safety import marketable_limit
from rp_tui.errors import BrokerError

RECONCILE_PAGES = 20  # at most 20 × 500 orders are read back by orders_by_ref
DONE = frozenset({"filled", "canceled", "expired", "rejected", "replaced", "done_for_day"})
SUBMIT_ATTEMPTS = 4  # a submission whose answer is lost: looked up, then sent again
NOT_UNIQUE = "client_order_id must be unique"


@dataclass
class LiveOrder:
    """One leg at Alpaca: its last known ``order`` (an alpaca-py ``Order``, ``None`` while
    not confirmed), why it was ``rejected`` on submission, ``unconfirmed`` (why it is not
    known whether it arrived), executions booked so far, and whether the last poll failed."""

    ref: str
    order: Any = None
    rejected: str = ""
    unconfirmed: str = ""
    executions: dict[str, ExecutionReport] = field(default_factory=dict)
    cum_qty: float = 0.0
    cum_value: float = 0.0
    poll_failed: bool = False
    seen: tuple[str, float] | None = None

    @property
    def status(self) -> str:
        return str(getattr(self.order.status, "value", self.order.status)) if self.order else ""

    @property
    def done(self) -> bool:
        return bool(self.rejected) or self.status in DONE


def _qty(value) -> float:
    try:
        return float(value or 0.0)
    except (TypeError, ValueError):
        return 0.0


def tick_for(price: float) -> float:
    """Alpaca's price increment: USD 0.01 from USD 1.00, else USD 0.0001 (sub-penny limit
    prices are refused above USD 1)."""
    return 0.01 if price >= 1.0 else 0.0001


class OrdersMixin:
    """Part of :class:`~rp_tui.broker.alpaca.AlpacaBroker`: sending confirmed orders.
    Uses ``link``, ``trading``, ``settings``, ``account``, ``assets``, ``fees``,
    ``execution``, ``log``, ``on_status`` and ``poll_interval`` (seconds)."""

    def access(self) -> TradingAccess:
        """Read-only setting, whether Alpaca answered the last request, and the live
        account facts: ``alpaca_paper = false`` is a live (real-money) account."""
        paper = self.settings.alpaca_paper
        return TradingAccess(
            account=self.account,
            read_only=self.settings.read_only,
            connected=self.link.connected,
            live=not paper,
            allow_live=self.settings.allow_live,
            where=f"Alpaca {'paper' if paper else 'LIVE'} through {self.link.where}",
            name="Alpaca",
            fractional=True,
        )

    def buy_fees(self, symbols: Sequence[str]) -> FeeTable:
        """The portfolio's fee schedule of each symbol, in ``symbols`` order.

        Raises:
            BrokerError: a symbol that is not a portfolio asset.
        """
        index = {a.symbol: i for i, a in enumerate(self.assets)}
        missing = [s for s in symbols if s not in index]
        if missing:
            raise BrokerError(f"no fee schedule for {', '.join(missing)}: not an asset")
        return FeeTable([self.fees.schedules[index[s]] for s in symbols])

    def prepare(self, order: OrderRequest, quote: Quote, order_ref: str) -> PreparedOrder:
        """The alpaca-py order request for ``[execution] order_type``: a DAY marketable
        limit ``limit_tolerance_bp`` past the bid/ask on Alpaca's price increment
        (``adaptive``, an IBKR algo, is sent as that limit), or a DAY market order whose
        reference is the side's quote. A fractional quantity always goes as a DAY market
        order: Alpaca takes fractional shares of fractionable assets in market DAY orders
        (alpaca.markets/support/how-can-i-pass-a-fractional-order, read 2026-12-01). Without
        a quote the price is NaN (refused later)."""
        from alpaca.trading.enums import OrderSide, TimeInForce
        from alpaca.trading.requests import LimitOrderRequest, MarketOrderRequest

        common = {
            "symbol": order.symbol,
            "qty": order.quantity,
            "side": OrderSide.BUY if order.side == "BUY" else OrderSide.SELL,
            "time_in_force": TimeInForce.DAY,
            "client_order_id": order_ref,
        }
        side_price = quote.side_price(order.side)
        whole = order.quantity == math.floor(order.quantity)
        if self.execution.order_type == "market" or not whole:
            return PreparedOrder(order, order_ref, "MKT", side_price, MarketOrderRequest(**common))
        if not side_price > 0:
            return PreparedOrder(order, order_ref, "LMT", math.nan, None)
        tolerance = self.execution.limit_tolerance_bp
        limit = marketable_limit(order.side, side_price, tolerance, tick_for(side_price))
        handle = LimitOrderRequest(limit_price=limit, **common)
        return PreparedOrder(order, order_ref, "LMT", limit, handle)

    async def place(self, prepared: PreparedOrder, run_id: str) -> Ticket:
        """Submit one order. A refusal by Alpaca (buying power, market closed, not
        fractionable…) is a ``rejected`` ticket; a lost answer is looked up by
        ``client_order_id`` and adopted or sent again (same id); if Alpaca cannot be reached
        to find out, the ticket is ``unknown`` (never re-sent blindly) and ``connected``
        turns false, so the run sends nothing more. Each step is logged.

        Raises:
            BrokerError: the order has no request (no price): nothing was sent.
        """
        if prepared.handle is None:
            raise BrokerError(f"{prepared.request.symbol}: no price to send an order at")
        live = LiveOrder(prepared.order_ref)
        ticket = Ticket(prepared, live)
        self._run_ids[live.ref] = run_id
        maybe_sent = False  # a 5xx or a lost answer: the order may have arrived
        for attempt in range(SUBMIT_ATTEMPTS):
            try:
                live.order = await self.link.once(self.trading.submit_order, prepared.handle)
                break
            except APIError as exc:
                status, code, reason = error_parts(exc)
                if status == 429:
                    self.log.append("rate_limited", run_id=run_id, order_ref=live.ref)
                    await self.link.pause(exc, attempt)
                    continue
                if status < 500 and NOT_UNIQUE not in reason:
                    live.rejected = f"Alpaca refused the order: {reason} (HTTP {status})"
                    self.log.append(
                        "rejected", run_id=run_id, order_ref=live.ref, status=status,
                        code=code, reason=reason,
                    )  # fmt: skip
                    self.on_status(f"{prepared.request.side} {prepared.request.symbol}: rejected")
                    return ticket
                why = f"HTTP {status}: {reason}"
            except NETWORK_ERRORS as exc:
                why = f"{type(exc).__name__}: no answer"
            maybe_sent = True
            self.log.append("submit_unanswered", run_id=run_id, order_ref=live.ref, reason=why)
            found = await self._find(live.ref)
            if found is not None:
                live.order = found
                self.log.append("adopted", run_id=run_id, order_ref=live.ref)
                break
            if not self.link.connected:
                await self.link.pause(None, attempt)
        if live.order is None and not maybe_sent:
            raise BrokerError(f"Alpaca kept answering 429 (rate limit) to order {live.ref}")
        if live.order is None:
            live.unconfirmed = (
                f"Alpaca did not confirm order {live.ref} and could not be asked again; "
                "not re-sent — reconcile by client_order_id"
            )
            self.link.connected = False  # the run sends nothing more until Alpaca answers
            self.log.append("unconfirmed", run_id=run_id, order_ref=live.ref)
            return ticket
        self.log.append("submitted", run_id=run_id, order_ref=live.ref, order_id=str(live.order.id))
        self._observe(live, run_id, prepared.request)
        return ticket

    async def _find(self, ref: str):
        """The order whose ``client_order_id`` is ``ref``: ``None`` when Alpaca has none
        (404) or could not be asked."""
        try:
            return await self.link.call(
                f"looking up order {ref}", self.trading.get_order_by_client_id, ref
            )
        except BrokerError as exc:
            if getattr(exc, "status", 0) not in (0, 404):
                raise
            return None

    def _observe(self, live: LiveOrder, run_id: str, request: OrderRequest) -> None:
        """Book new executions of ``live.order`` once, and log a status change."""
        order = live.order
        filled = _qty(order.filled_qty)
        if filled > live.cum_qty + 1e-12:
            value = filled * _qty(order.filled_avg_price)
            shares = filled - live.cum_qty
            price = (value - live.cum_value) / shares
            exec_id = f"{order.id}:{filled:g}"
            live.executions[exec_id] = ExecutionReport(exec_id, shares, price, 0.0, "USD")
            live.cum_qty, live.cum_value = filled, value
        key = (live.status, filled)
        if key == live.seen:
            return
        live.seen = key
        self.log.append(
            "status",
            run_id=run_id,
            order_ref=live.ref,
            symbol=request.symbol,
            status=live.status,
            filled=filled,
            remaining=max(request.quantity - filled, 0.0),
        )
        self.on_status(
            f"{request.side} {request.symbol}: {live.status} {filled:g}/{request.quantity:g}"
        )

    async def _refresh(self, tickets: Sequence[Ticket]) -> None:
        """Poll the orders of ``tickets`` that are not done: one list request for the
        confirmed ones, a lookup by ``client_order_id`` for the unconfirmed."""
        from alpaca.trading.enums import QueryOrderStatus
        from alpaca.trading.requests import GetOrdersRequest

        pending = [t for t in tickets if not t.handle.done]
        confirmed = [t for t in pending if t.handle.order is not None]
        if confirmed:
            since = min(t.handle.order.submitted_at for t in confirmed) - timedelta(seconds=1)
            request = GetOrdersRequest(status=QueryOrderStatus.ALL, limit=500, after=since)
            try:
                found = await self.link.call("reading orders", self.trading.get_orders, request)
            except BrokerError:
                for t in confirmed:
                    t.handle.poll_failed = True
                return
            by_ref = {o.client_order_id: o for o in found}
            for t in confirmed:
                live = t.handle
                live.poll_failed = False
                if live.ref in by_ref:
                    live.order = by_ref[live.ref]
                    self._observe(live, self._run_ids.get(live.ref, ""), t.prepared.request)
        for t in pending:
            live = t.handle
            if live.order is None and live.unconfirmed:
                try:
                    found = await self._find(live.ref)
                except BrokerError:
                    continue
                if found is not None:
                    live.order, live.unconfirmed = found, ""
                    self.log.append(
                        "adopted",
                        run_id=self._run_ids.get(live.ref, ""),
                        order_ref=live.ref,
                        order_id=str(found.id),
                    )
                    self._observe(live, self._run_ids.get(live.ref, ""), t.prepared.request)

    async def wait(self, tickets: Sequence[Ticket], timeout: float) -> None:
        """Poll every ``poll_interval`` seconds until every order is done or ``timeout``
        seconds have passed (an unreachable Alpaca is asked again until then)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            await self._refresh(tickets)
            if all(t.handle.done for t in tickets) or loop.time() >= deadline:
                return
            await asyncio.sleep(min(self.poll_interval, max(deadline - loop.time(), 0.0)))

    async def cancel(self, ticket: Ticket) -> None:
        """``DELETE /v2/orders/{id}`` for a working order; an order Alpaca finds no longer
        cancellable (422: already filled) is left to the next poll. Nothing while Alpaca
        cannot be reached (the outcome stays unknown, reconciled later)."""
        live = ticket.handle
        if live.order is None or live.done:
            return
        try:
            await self.link.call(
                f"cancelling {live.ref}", self.trading.cancel_order_by_id, str(live.order.id)
            )
        except BrokerError as exc:
            if getattr(exc, "status", 0) not in (404, 422):
                return
            self.log.append("cancel_refused", order_ref=live.ref, reason=str(exc))
            return
        ticket.cancel_requested = True
        self.log.append("cancel_requested", order_ref=live.ref, order_id=str(live.order.id))

    def outcome(self, ticket: Ticket) -> OrderOutcome:
        """Where the order stands from the last poll: executions once each; ``unknown``
        when its arrival is unconfirmed or the last poll of a working order failed."""
        live, order = ticket.handle, ticket.prepared.request
        price = ticket.prepared.price
        if live.rejected:
            return OrderOutcome("rejected", 0.0, price, 0.0, live.rejected)
        if live.order is None:
            return OrderOutcome("unknown", 0.0, price, 0.0, live.unconfirmed)
        executions = tuple(live.executions.values())
        filled = sum(e.shares for e in executions)
        avg = sum(e.shares * e.price for e in executions) / filled if filled else price
        done = live.done
        if live.poll_failed and not done:
            message = "Alpaca stopped answering before the outcome arrived; not re-sent — reconcile"
            return OrderOutcome("unknown", filled, avg, 0.0, message, False, executions)
        working = not done and filled < order.quantity - 1e-9
        if filled >= order.quantity - 1e-9:
            status = "filled"
        elif filled > 0:
            status = "partial"
        elif live.status == "rejected":
            status = "rejected"
        elif live.status in DONE:
            status = "cancelled"
        else:
            status = "open"
        message = f"Alpaca: {live.status}" if live.status in ("rejected", "expired") else ""
        return OrderOutcome(status, filled, avg, 0.0, message, working, executions)

    async def orders_by_ref(self, prefix: str) -> list[BrokerOrder]:
        """Reconciliation: every order whose ``client_order_id`` starts with ``prefix``,
        open or closed (``GET /v2/orders?status=all``, newest first, paged back by
        ``until``), one :class:`BrokerOrder` each. Read-only: sends nothing.

        ``executions`` is empty: Alpaca's order reports only the cumulative
        ``filled_qty`` and ``filled_avg_price`` (given as ``filled`` and ``avg_price``).

        Raises:
            BrokerError: Alpaca cannot be asked now (unreachable, keys refused).
        """
        from alpaca.trading.enums import QueryOrderStatus
        from alpaca.trading.requests import GetOrdersRequest

        found: dict[str, BrokerOrder] = {}
        until = None
        for _ in range(RECONCILE_PAGES):
            request = GetOrdersRequest(status=QueryOrderStatus.ALL, limit=500, until=until)
            page = await self.link.call("reading orders", self.trading.get_orders, request)
            for order in page:
                ref = order.client_order_id or ""
                if not ref.startswith(prefix) or ref in found:
                    continue
                status = str(getattr(order.status, "value", order.status))
                filled = _qty(order.filled_qty)
                wanted = _qty(order.qty) or filled
                state = (
                    "working"
                    if status not in DONE
                    else "filled"
                    if filled >= wanted - 1e-9 and filled > 0
                    else "cancelled"
                )
                found[ref] = BrokerOrder(
                    order_ref=ref,
                    symbol=str(order.symbol),
                    side="BUY"
                    if str(getattr(order.side, "value", order.side)) == "buy"
                    else "SELL",
                    quantity=wanted,
                    filled=filled,
                    status=state,
                    avg_price=_qty(order.filled_avg_price) if filled else math.nan,
                )
            if len(page) < 500:
                break
            until = min(o.submitted_at for o in page)
        return list(found.values())
