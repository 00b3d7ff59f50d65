"""Order sending primitives: the account's trading access, marketable limits on the tick,
what-if commissions, and each order's life at TWS (placed, statuses logged, fills by execId,
cancelled). The sequence and the guards around them live in ``rp_tui.services.order_flow``."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from typing import Any

from rp_tui.broker.base import (
    ExecutionReport,
    OrderOutcome,
    OrderRequest,
    PreparedOrder,
    Quote,
    Ticket,
    TradingAccess,
)
from rp_tui.broker.crash_points import crash_point
from rp_tui.broker.ibkr.ib_values import DONE_STATUSES, QUOTE_TIMEOUT, amount, number
from rp_tui.domain.fee_model import FeeTable
from rp_tui.domain.safety import is_paper_account, marketable_limit
from rp_tui.errors import BrokerError

CANCELLED = ("Cancelled", "ApiCancelled", "Inactive")
# What TWS answers to our own cancelOrder: 202 cancelled; 161 / 10148 not cancellable (done)
OWN_CANCEL = frozenset({161, 202, 10148})


class OrdersMixin:
    """Part of :class:`~rp_tui.broker.ibkr.IbkrBroker`: sending confirmed orders.
    Uses ``ib``, ``settings``, ``account``, ``assets``, ``fees``, ``contracts``,
    ``min_ticks``, ``execution``, ``log`` and ``on_status``."""

    def access(self) -> TradingAccess:
        """Read-only setting, connection (1100 counts as lost) and the paper/live guard's
        facts; an account that does not start with ``DU`` is live."""
        return TradingAccess(
            account=self.account,
            read_only=self.settings.read_only,
            connected=self.ib.isConnected() and not self.connectivity_lost,
            live=not is_paper_account(self.account),
            allow_live=self.settings.allow_live,
            where=f"IBKR through {self.address}",
            name="IBKR",
        )

    def buy_fees(self, symbols: Sequence[str]) -> FeeTable:
        """The portfolio's commission schedule of each symbol, in ``symbols`` order.

        Raises:
            BrokerError: a symbol that is not a portfolio asset (only assets are bought).
        """
        index = {a.symbol: i for i, a in enumerate(self.assets)}
        missing = [s for s in symbols if s not in index]
        if missing:
            raise BrokerError(f"no commission schedule for {', '.join(missing)}: not an asset")
        return FeeTable([self.fees.schedules[index[s]] for s in symbols])

    def prepare(self, order: OrderRequest, quote: Quote, order_ref: str) -> PreparedOrder:
        """The ib_async order for ``[execution] order_type``: a marketable limit
        ``limit_tolerance_bp`` past the bid/ask, rounded onto the minTick in the trader's
        favour (``adaptive`` adds IBKR's Adaptive algo), or a market order whose reference is
        the side's quote. Without a quote the price is NaN (the checks then refuse it)."""
        from ib_async import LimitOrder, MarketOrder, TagValue

        common = {"orderRef": order_ref, "account": self.account, "tif": "DAY"}
        side_price = quote.side_price(order.side)
        if self.execution.order_type == "market":
            handle = MarketOrder(order.side, order.quantity, **common)
            return PreparedOrder(order, order_ref, "MKT", side_price, handle)
        tick = self.min_ticks.get(order.symbol, 0.01)
        limit = (
            marketable_limit(order.side, side_price, self.execution.limit_tolerance_bp, tick)
            if side_price > 0
            else math.nan
        )
        handle = LimitOrder(order.side, order.quantity, limit, **common)
        if self.execution.order_type == "adaptive":
            handle.algoStrategy = "Adaptive"
            handle.algoParams = [TagValue("adaptivePriority", "Normal")]
        return PreparedOrder(order, order_ref, "LMT", limit, handle)

    async def place(self, prepared: PreparedOrder, run_id: str) -> Ticket:
        """``placeOrder`` now; logs ``submitted`` with the order id and then every status
        change of the order (also shown through ``on_status``).

        Raises:
            BrokerError: not connected, or TWS lost IBKR (1100): nothing is queued.
        """
        if not self.ib.isConnected() or self.connectivity_lost:
            raise BrokerError(f"not connected to IBKR through {self.address}")
        order = prepared.request
        trade = self.ib.placeOrder(self.contracts[order.symbol], prepared.handle)
        crash_point("ibkr:after_send")  # sent, its acknowledgement not yet heard or logged
        self.log.append(
            "submitted", run_id=run_id, order_ref=prepared.order_ref, order_id=trade.order.orderId
        )
        trade.statusEvent += self._status_reporter(run_id, prepared.order_ref, order)
        return Ticket(prepared, trade)

    def _status_reporter(self, run_id: str, ref: str, order: OrderRequest):
        """Log every status change of one order and show it live on the status line."""
        seen: list[tuple[str, float]] = []

        def report(trade) -> None:
            status = trade.orderStatus
            key = (status.status, float(status.filled))
            if seen and seen[-1] == key:
                return  # TWS repeats statuses; the log keeps changes only
            seen.append(key)
            self.log.append(
                "status",
                run_id=run_id,
                order_ref=ref,
                symbol=order.symbol,
                status=status.status,
                filled=float(status.filled),
                remaining=float(status.remaining),
            )
            self.on_status(
                f"{order.side} {order.symbol}: {status.status} "
                f"{float(status.filled):g}/{order.quantity:g}"
            )
            if 0 < float(status.filled) < order.quantity:
                crash_point("ibkr:after_partial_fill")

        return report

    async def wait(self, tickets: Sequence[Ticket], timeout: float) -> None:
        """Poll until every order is done with its commission reports in, ``timeout``
        seconds pass, or the connection drops."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        trades = [t.handle for t in tickets]
        while loop.time() < deadline and self.ib.isConnected():
            done = all(t.orderStatus.status in DONE_STATUSES for t in trades)
            reported = all(f.commissionReport.execId for t in trades for f in t.fills)
            if done and reported:
                return
            await asyncio.sleep(0.02)

    async def cancel(self, ticket: Ticket) -> None:
        """``cancelOrder`` for a working order (nothing while disconnected: the outcome is
        then unknown and reconciled later)."""
        trade = ticket.handle
        if self.ib.isConnected() and trade.orderStatus.status not in DONE_STATUSES:
            self.ib.cancelOrder(trade.order)
            ticket.cancel_requested = True

    def outcome(self, ticket: Ticket) -> OrderOutcome:
        """The order's state from its ib_async ``Trade``: executions keyed by execId (a
        repeated report counts once), ``unknown`` when the connection dropped first."""
        trade, order = ticket.handle, ticket.prepared.request
        booked: dict[str, Any] = {}
        for f in trade.fills:
            booked.setdefault(f.execution.execId, f)
        executions = tuple(
            ExecutionReport(
                exec_id,
                float(f.execution.shares),
                float(f.execution.price),
                amount(f.commissionReport.commission),
                f.commissionReport.currency,
            )
            for exec_id, f in booked.items()
        )
        filled = sum(e.shares for e in executions)
        value = sum(e.shares * e.price for e in executions)
        commission = sum(e.commission for e in executions)
        status_text = trade.orderStatus.status
        errors = [
            e
            for e in trade.log
            if e.errorCode and not (ticket.cancel_requested and e.errorCode in OWN_CANCEL)
        ]
        message = f"{errors[-1].errorCode} {errors[-1].message}" if errors else ""
        done = status_text in DONE_STATUSES
        working = self.ib.isConnected() and not done and filled < order.quantity
        if not self.ib.isConnected() and not done:
            status = "unknown"
            message = "connection dropped before the outcome arrived; not re-sent — reconcile"
        elif filled >= order.quantity:
            status = "filled"
        elif filled > 0:
            status = "partial"
        elif status_text in CANCELLED:
            status = "rejected" if errors else "cancelled"
        else:
            status = "open"
        avg = value / filled if filled else ticket.prepared.price
        return OrderOutcome(status, filled, avg, commission, message, working, executions)

    async def what_if(self, orders: Sequence[OrderRequest]) -> dict[str, float]:
        """TWS's commission estimate per symbol, listing currency; NaN where unknown
        (1.797e308 means no value) or on a read-only connection, which may not place even
        what-if orders."""
        from ib_async import MarketOrder

        if self.settings.read_only:
            return {o.symbol: math.nan for o in orders}
        await self.qualify()
        estimates = {}
        for order in orders:
            probe = MarketOrder(order.side, order.quantity, account=self.account)
            state = await asyncio.wait_for(
                self.ib.whatIfOrderAsync(self.contracts[order.symbol], probe), QUOTE_TIMEOUT
            )
            estimates[order.symbol] = number(getattr(state, "commission", math.nan))
        return estimates
