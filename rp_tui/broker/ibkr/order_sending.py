"""Order sending: the live-account guard, marketable limits on the tick, what-if
commissions, and each order's life (intent logged first, placed, statuses, fills by execId)."""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from rp_tui.broker.base import Fill, OrderRequest, Quote
from rp_tui.broker.ibkr.ib_values import DONE_STATUSES, QUOTE_TIMEOUT, amount, number
from rp_tui.domain.fee_model import FeeTable
from rp_tui.domain.rebalance import fit_buys
from rp_tui.domain.safety import (
    OrderCheck,
    TradingState,
    check_orders,
    is_paper_account,
    marketable_limit,
)
from rp_tui.errors import BrokerError
from rp_tui.state.trading_state import read_trading_state


class OrdersMixin:
    """Part of :class:`~rp_tui.broker.ibkr.IbkrBroker`: sending confirmed orders."""

    def _guard(self, typed_confirmation: str) -> TradingState:
        """Refuse to trade read-only, disconnected, halted, or on an unconfirmed live account."""
        if self.settings.read_only:
            raise BrokerError(
                "connected read-only: set [broker] read_only = false in portfolio.toml to trade"
            )
        if not self.ib.isConnected() or self.connectivity_lost:
            raise BrokerError(f"not connected to IBKR through {self.address}: nothing was sent")
        if not is_paper_account(self.account):
            if not self.settings.allow_live:
                raise BrokerError(
                    f"{self.account} is a live account: set [broker] allow_live = true and type "
                    "the account id to confirm"
                )
            if typed_confirmation != self.account:
                raise BrokerError(f"live account {self.account}: type its id to confirm")
        state = read_trading_state()
        if state is TradingState.HALTED:
            raise BrokerError("trading state is HALTED: nothing was sent")
        return state

    def _ib_order(self, order: OrderRequest, quote: Quote, order_ref: str):
        from ib_async import LimitOrder, MarketOrder, TagValue

        common = {"orderRef": order_ref, "account": self.account, "tif": "DAY"}
        if self.execution.order_type == "market":
            return MarketOrder(order.side, order.quantity, **common), quote.side_price(order.side)
        tick = self.min_ticks.get(order.symbol, 0.01)
        limit = marketable_limit(
            order.side, quote.side_price(order.side), self.execution.limit_tolerance_bp, tick
        )
        ib_order = LimitOrder(order.side, order.quantity, limit, **common)
        if self.execution.order_type == "adaptive":
            ib_order.algoStrategy = "Adaptive"
            ib_order.algoParams = [TagValue("adaptivePriority", "Normal")]
        return ib_order, limit

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

    async def execute(
        self,
        orders: Sequence[OrderRequest],
        *,
        run_id: str = "",
        buy_budget: float | None = None,
        typed_confirmation: str = "",
    ) -> list[Fill]:
        """Send confirmed orders; see the module docstring for the sequence.

        Raises:
            BrokerError: refused before anything was sent (read-only, live guard, halted,
                disconnected, or a pre-trade check failed: every reason is listed).
        """
        state = self._guard(typed_confirmation)
        run_id = run_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        await self.qualify()
        quotes = await self.quotes(sorted({o.symbol for o in orders}))
        fx = {a.symbol: self._fx(a.currency) for a in self.assets}
        legs = []
        for leg, order in enumerate(sorted(orders, key=lambda o: o.side != "SELL")):
            ref = f"rp-tui:{run_id}:{leg}"
            quote = quotes[order.symbol]
            ib_order, price = self._ib_order(order, quote, ref)
            legs.append((order, ib_order, price, ref))
        checks = [
            OrderCheck(
                o.symbol,
                o.side,
                o.quantity,
                price,
                o.quantity * price * fx[o.symbol],
                quotes[o.symbol].price,
                time.time() - quotes[o.symbol].received,
            )
            for o, _, price, _ in legs
        ]
        problems = check_orders(checks, self._nav, self.limits, state)
        if problems:
            self.log.append("refused", run_id=run_id, account=self.account, reasons=problems)
            raise BrokerError("orders refused, nothing was sent:\n  " + "\n  ".join(problems))

        sells = [leg for leg in legs if leg[0].side == "SELL"]
        buys = [leg for leg in legs if leg[0].side == "BUY"]
        fills = await self._send(run_id, sells)
        if buys and buy_budget is not None:
            received = sum(
                (f.quantity * f.price - f.commission) * fx[f.symbol]
                for f in fills
                if f.quantity > 0
            )
            buys = self._resize_buys(buys, buy_budget + received, fx, run_id)
        if buys and not all(f.status in ("filled", "cancelled", "rejected") for f in fills):
            self.log.append("buys_skipped", run_id=run_id, reason="a sell is unresolved")
            return fills + [
                Fill(
                    o.symbol,
                    "BUY",
                    0.0,
                    p,
                    0.0,
                    o.currency,
                    "cancelled",
                    "not sent: a sell's outcome is not known",
                    o.quantity,
                    ref,
                )
                for o, _, p, ref in buys
            ]
        return fills + await self._send(run_id, buys)

    def _resize_buys(self, buys, budget: float, fx: dict[str, float], run_id: str):
        """Shrink buys to the cash actually available now that the sells have settled."""
        symbols = [o.symbol for o, *_ in buys]
        index = [next(i for i, a in enumerate(self.assets) if a.symbol == s) for s in symbols]
        table = FeeTable([self.fees.schedules[i] for i in index])
        wanted = np.array([o.quantity for o, *_ in buys])
        prices = np.array([price for _, _, price, _ in buys])
        fitted = fit_buys(wanted, prices, np.array([fx[s] for s in symbols]), table, budget, True)
        resized = []
        for (order, ib_order, price, ref), quantity in zip(buys, fitted, strict=True):
            if quantity != order.quantity:
                self.log.append(
                    "resized",
                    run_id=run_id,
                    order_ref=ref,
                    symbol=order.symbol,
                    planned=order.quantity,
                    quantity=float(quantity),
                    budget=budget,
                )
            if quantity > 0:
                ib_order.totalQuantity = float(quantity)
                resized.append((replace(order, quantity=float(quantity)), ib_order, price, ref))
        return resized

    async def _send(self, run_id: str, legs) -> list[Fill]:
        """Log every intent, place the orders, wait for their outcome, book fills once."""
        if not legs:
            return []
        for order, ib_order, price, ref in legs:  # the ledger first: intent before send
            self.log.append(
                "intent",
                run_id=run_id,
                order_ref=ref,
                account=self.account,
                symbol=order.symbol,
                side=order.side,
                quantity=order.quantity,
                order_type=ib_order.orderType,
                limit=price,
                currency=order.currency,
                estimated_commission=order.commission,
            )
        trades = []
        for order, ib_order, _, ref in legs:
            if not self.ib.isConnected() or self.connectivity_lost:
                break  # never queue orders while disconnected
            trade = self.ib.placeOrder(self.contracts[order.symbol], ib_order)
            self.log.append("submitted", run_id=run_id, order_ref=ref, order_id=trade.order.orderId)
            trade.statusEvent += self._status_reporter(run_id, ref, order)
            trades.append(trade)
        await self._wait(trades)
        return [
            self._outcome(run_id, leg, trades[i] if i < len(trades) else None)
            for i, leg in enumerate(legs)
        ]

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

        return report

    async def _wait(self, trades) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.execution.fill_timeout
        while loop.time() < deadline and self.ib.isConnected():
            done = all(t.orderStatus.status in DONE_STATUSES for t in trades)
            reported = all(f.commissionReport.execId for t in trades for f in t.fills)
            if done and reported:
                return
            await asyncio.sleep(0.02)

    def _outcome(self, run_id: str, leg, trade) -> Fill:
        order, _, price, ref = leg
        if trade is None:
            self.log.append("not_sent", run_id=run_id, order_ref=ref, reason="disconnected")
            return Fill(
                order.symbol,
                order.side,
                0.0,
                price,
                0.0,
                order.currency,
                "cancelled",
                "not sent: disconnected",
                order.quantity,
                ref,
            )
        booked: dict[str, Any] = {}
        for f in trade.fills:  # keyed by execId: a repeated execution report counts once
            booked.setdefault(f.execution.execId, f)
        for exec_id, f in booked.items():
            self.log.append(
                "fill",
                run_id=run_id,
                order_ref=ref,
                exec_id=exec_id,
                shares=f.execution.shares,
                price=f.execution.price,
                commission=amount(f.commissionReport.commission),
                commission_currency=f.commissionReport.currency,
            )
        filled = sum(f.execution.shares for f in booked.values())
        value = sum(f.execution.shares * f.execution.price for f in booked.values())
        commission = sum(amount(f.commissionReport.commission) for f in booked.values())
        status_text = trade.orderStatus.status
        errors = [e for e in trade.log if e.errorCode]
        message = f"{errors[-1].errorCode} {errors[-1].message}" if errors else ""
        if not self.ib.isConnected() and status_text not in DONE_STATUSES:
            status = "unknown"
            message = "connection dropped before the outcome arrived; not re-sent — reconcile"
        elif filled >= order.quantity:
            status = "filled"
        elif filled > 0:
            status = "partial"
        elif status_text in ("Cancelled", "ApiCancelled", "Inactive"):
            status = "rejected" if errors else "cancelled"
        else:
            status = "open"
        avg = value / filled if filled else price
        self.log.append(
            "result",
            run_id=run_id,
            order_ref=ref,
            symbol=order.symbol,
            status=status,
            filled=filled,
            remaining=order.quantity - filled,
            avg_price=avg,
            commission=commission,
            message=message,
        )
        return Fill(
            order.symbol,
            order.side,
            float(filled),
            float(avg),
            float(commission),
            order.currency,
            status,
            message,
            float(order.quantity - filled),
            ref,
        )
