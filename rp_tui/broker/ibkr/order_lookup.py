"""Reconciliation's primitive for IBKR: the orders and executions TWS knows by order reference
(all open orders, today's completed orders and executions), read without sending anything."""

from __future__ import annotations

import math
from typing import Any

from rp_tui.broker.base import BrokerOrder, ExecutionReport
from rp_tui.broker.ibkr.ib_values import DONE_STATUSES, QUOTE_TIMEOUT, amount


class OrderLookupMixin:
    """Part of :class:`~rp_tui.broker.ibkr.IbkrBroker`: finding earlier orders by
    ``orderRef``. Uses ``ib``, ``account``, ``connect`` and ``ask``."""

    async def orders_by_ref(self, prefix: str) -> list[BrokerOrder]:
        """Every order of the account whose ``orderRef`` starts with ``prefix``: TWS's open
        orders of every client (``reqAllOpenOrders``), its completed orders
        (``reqCompletedOrders``, API orders) and executions (``reqExecutions``), merged by
        reference. Executions are counted once each by ``execId``, with the commission of
        their report (0.0 when none arrived); an order TWS lists only through executions
        counts as ``cancelled`` with its executed shares.

        Raises:
            BrokerError: TWS is not reachable or dropped meanwhile (nothing was sent).
        """
        from ib_async import ExecutionFilter

        await self.connect()
        working = await self.ask(
            self.ib.reqAllOpenOrdersAsync(), "listing open orders", QUOTE_TIMEOUT
        )
        completed = await self.ask(
            self.ib.reqCompletedOrdersAsync(True), "listing completed orders", QUOTE_TIMEOUT
        )
        fills = await self.ask(
            self.ib.reqExecutionsAsync(ExecutionFilter(acctCode=self.account)),
            "listing executions",
            QUOTE_TIMEOUT,
        )
        orders: dict[str, dict[str, Any]] = {}
        for trade in [*working, *completed]:  # a completed order's state wins
            order = trade.order
            ref = order.orderRef or ""
            if not ref.startswith(prefix) or order.account not in ("", self.account):
                continue
            done = trade.orderStatus.status in DONE_STATUSES
            filled = float(getattr(order, "filledQuantity", 0.0) or 0.0)
            filled = max(filled if filled < 1e300 else 0.0, float(trade.orderStatus.filled))
            status = trade.orderStatus.status
            orders[ref] = {
                "symbol": trade.contract.symbol,
                "side": order.action,
                "quantity": float(order.totalQuantity),
                "filled": filled,
                "status": ("filled" if status == "Filled" else "cancelled") if done else "working",
            }
        reports = {f.execution.execId: f for f in self.ib.fills()}  # with their commissions
        executions: dict[str, dict[str, ExecutionReport]] = {}
        for f in fills:
            e = f.execution
            ref = e.orderRef or ""
            if not ref.startswith(prefix) or e.acctNumber not in ("", self.account):
                continue
            report = reports.get(e.execId, f).commissionReport
            executions.setdefault(ref, {})[e.execId] = ExecutionReport(
                e.execId,
                float(e.shares),
                float(e.price),
                amount(report.commission),
                report.currency or "",
            )
            if ref not in orders:  # known only by its executions (an older order)
                side = "BUY" if e.side in ("BOT", "BUY") else "SELL"
                orders[ref] = {"symbol": f.contract.symbol, "side": side, "quantity": 0.0}
                orders[ref].update(filled=0.0, status="cancelled")
        found = []
        for ref, o in orders.items():
            execs = tuple(executions.get(ref, {}).values())
            shares = sum(x.shares for x in execs)
            filled = max(o["filled"], shares)
            quantity = max(o["quantity"], filled)
            avg = sum(x.shares * x.price for x in execs) / shares if shares else math.nan
            status = o["status"]
            if status == "cancelled" and filled >= quantity > 0:
                status = "filled"
            found.append(
                BrokerOrder(ref, o["symbol"], o["side"], quantity, filled, status, avg, execs)
            )
        return found
