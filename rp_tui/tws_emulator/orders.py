"""The emulated order book: accepting, filling, rejecting and cancelling orders.

The book lives in the emulator, not in a connection, so orders and executions survive
disconnects: a client that reconnects finds them through reqOpenOrders,
reqCompletedOrders and reqExecutions, as it would with a real TWS.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from . import messages as msg
from .protocol import ERROR_TEXT, UNSET_DOUBLE
from .requests import ExecutionFilterRequest, PlacedOrder
from .scenario import Scenario
from .scenario_records import Instrument, OrderBehaviour

Send = Callable[[msg.Message], None]

DONE_STATES = frozenset({"Filled", "Cancelled", "ApiCancelled", "Inactive"})


def ib_time(epoch: float | None = None) -> str:
    """A timestamp in the ``YYYYMMDD HH:MM:SS tz`` form ib_async parses."""
    return time.strftime("%Y%m%d %H:%M:%S UTC", time.gmtime(epoch))


@dataclass
class OrderRecord:
    """One order the broker accepted, with its running fill state."""

    placed: PlacedOrder
    instrument: Instrument
    account: str
    perm_id: int
    status: str = "Submitted"
    filled: float = 0.0
    avg_fill_price: float = 0.0
    last_fill_price: float = 0.0
    completed_time: str = ""
    completed_status: str = ""

    @property
    def key(self) -> tuple[int, int]:
        """(clientId, orderId): order ids are unique per client only."""
        return self.placed.client_id, self.placed.order_id

    @property
    def remaining(self) -> float:
        """Shares still working."""
        return self.placed.total_quantity - self.filled

    @property
    def is_done(self) -> bool:
        """Filled, cancelled or inactive."""
        return self.status in DONE_STATES

    def finish(self, status: str, reason: str = "") -> None:
        """Move to a final state, stamping the completion time."""
        self.status = status
        self.completed_time = ib_time()
        self.completed_status = reason or status


@dataclass
class ExecutionRecord:
    """One fill as reported by EXECUTION_DATA + COMMISSION_REPORT."""

    exec_id: str
    order: OrderRecord
    shares: float
    price: float
    cum_qty: float
    avg_price: float
    time: str
    commission: float
    commission_currency: str
    realized_pnl: float | None = None

    @property
    def side(self) -> str:
        """BOT or SLD, as TWS reports it."""
        return "BOT" if self.order.placed.action == "BUY" else "SLD"


@dataclass
class OrderBook:
    """Orders and executions of the emulated account, shared by all connections.

    ``on_fill`` is called after each booked fill so that the server can push position
    and account updates to subscribed clients.
    """

    scenario: Scenario
    on_fill: Callable[[ExecutionRecord], None] = lambda _e: None
    orders: dict[tuple[int, int], OrderRecord] = field(default_factory=dict)
    executions: list[ExecutionRecord] = field(default_factory=list)
    _perm_ids: itertools.count = field(default_factory=lambda: itertools.count(1_001_234_001))

    @property
    def highest_order_id(self) -> int:
        """Largest order id any client has used (0 when none)."""
        return max((order_id for _, order_id in self.orders), default=0)

    # --- encoders -------------------------------------------------------------------

    def open_order_message(self, record: OrderRecord, **state: object) -> msg.Message:
        """OPEN_ORDER for ``record``; ``state`` overrides order-state fields (what-if)."""
        p = record.placed
        values: dict[str, object] = {
            **msg.contract11(record.instrument, p.contract.exchange or "SMART"),
            "orderId": p.order_id,
            "action": p.action,
            "totalQuantity": p.total_quantity,
            "orderType": p.order_type,
            "lmtPrice": p.lmt_price,
            "auxPrice": p.aux_price,
            "tif": p.tif or "DAY",
            "account": record.account,
            "orderRef": p.order_ref,
            "clientId": p.client_id,
            "permId": record.perm_id,
            "outsideRth": p.outside_rth,
            "parentId": p.parent_id,
            "status": record.status,
            "commission": UNSET_DOUBLE,
            "minCommission": UNSET_DOUBLE,
            "maxCommission": UNSET_DOUBLE,
        }
        values.update(state)
        return msg.OPEN_ORDER.encode(**values)

    def order_status_message(self, record: OrderRecord) -> msg.Message:
        """ORDER_STATUS reflecting the record's fill state."""
        return msg.order_status(
            record.placed.order_id,
            record.status,
            record.filled,
            record.remaining,
            record.avg_fill_price,
            record.perm_id,
            record.last_fill_price,
            record.placed.client_id,
            parent_id=record.placed.parent_id,
        )

    def completed_order_message(self, record: OrderRecord) -> msg.Message:
        """COMPLETED_ORDER for a done order."""
        p = record.placed
        return msg.COMPLETED_ORDER.encode(
            **msg.contract11(record.instrument, p.contract.exchange or "SMART"),
            action=p.action,
            totalQuantity=p.total_quantity,
            orderType=p.order_type,
            lmtPrice=p.lmt_price,
            auxPrice=p.aux_price,
            tif=p.tif or "DAY",
            account=record.account,
            orderRef=p.order_ref,
            permId=record.perm_id,
            outsideRth=p.outside_rth,
            status=record.status,
            filledQuantity=record.filled,
            completedTime=record.completed_time,
            completedStatus=record.completed_status,
        )

    def execution_message(self, execution: ExecutionRecord, req_id: int = -1) -> msg.Message:
        """EXECUTION_DATA; a live fill uses reqId -1, a reqExecutions answer its reqId."""
        order = execution.order
        return msg.EXECUTION_DATA.encode(
            reqId=req_id,
            orderId=order.placed.order_id,
            **msg.contract11(order.instrument, order.instrument.primary_exchange),
            execId=execution.exec_id,
            time=execution.time,
            account=order.account,
            exchange_=order.instrument.primary_exchange,
            side=execution.side,
            shares=execution.shares,
            price=execution.price,
            permId=order.perm_id,
            clientId=order.placed.client_id,
            cumQty=execution.cum_qty,
            avgPrice=execution.avg_price,
            orderRef=order.placed.order_ref,
            lastLiquidity=1,
        )

    @staticmethod
    def commission_message(execution: ExecutionRecord) -> msg.Message:
        """COMMISSION_REPORT for one execution."""
        return msg.commission_report(
            execution.exec_id,
            execution.commission,
            execution.commission_currency,
            realized_pnl=execution.realized_pnl,
        )

    # --- requests -------------------------------------------------------------------

    def what_if(self, placed: PlacedOrder, instrument: Instrument, send: Send) -> None:
        """Answer a what-if order with OPEN_ORDER carrying margin and commission fields."""
        answer = self.scenario.what_if.get(instrument.symbol, self.scenario.default_what_if)
        price = placed.lmt_price or self._reference_price(instrument) or 0.0
        margin = f"{abs(placed.total_quantity * price) * answer.margin_rate:.2f}"

        def unknown_if_none(value: float | None) -> float:
            return UNSET_DOUBLE if value is None else value

        record = OrderRecord(placed, instrument, self._account_of(placed), perm_id=0)
        send(
            self.open_order_message(
                record,
                whatIf=True,
                status="PreSubmitted",
                initMarginBefore="0",
                maintMarginBefore="0",
                initMarginChange=margin,
                maintMarginChange=margin,
                initMarginAfter=margin,
                maintMarginAfter=margin,
                equityWithLoanBefore=UNSET_DOUBLE,
                equityWithLoanChange=UNSET_DOUBLE,
                equityWithLoanAfter=UNSET_DOUBLE,
                commission=unknown_if_none(answer.commission),
                minCommission=unknown_if_none(answer.min_commission),
                maxCommission=unknown_if_none(answer.max_commission),
                commissionCurrency=answer.commission_currency,
                warningText=answer.warning_text,
            )
        )

    def place(self, placed: PlacedOrder, instrument: Instrument, send: Send) -> None:
        """Accept, modify or refuse a (non what-if) order and play its behaviour."""
        existing = self.orders.get((placed.client_id, placed.order_id))
        if existing is not None:
            if existing.is_done:
                send(msg.error(placed.order_id, 103, ERROR_TEXT[103]))
                return
            existing.placed = placed  # a modification: ack it, keep the fill state
            send(self.open_order_message(existing))
            send(self.order_status_message(existing))
            return
        behaviour = self.scenario.behaviour_for(instrument.symbol, placed.order_ref)
        if not self._check(placed, instrument, behaviour, send):
            return
        record = OrderRecord(placed, instrument, self._account_of(placed), next(self._perm_ids))
        self.orders[record.key] = record
        if behaviour.mode == "reject":
            reason = behaviour.reject_reason
            text = f"{ERROR_TEXT[201]}{reason}"
            send(msg.error(placed.order_id, behaviour.reject_code, text))
            record.finish(behaviour.reject_status, reason)
            send(self.order_status_message(record))
            return
        send(self.open_order_message(record))
        send(self.order_status_message(record))
        if behaviour.mode == "fill":
            self.fill(record, send, behaviour=behaviour)
        elif behaviour.mode == "partial":
            quantity = behaviour.fill_quantity or record.remaining / 2
            self.fill(record, send, quantity=min(quantity, record.remaining), behaviour=behaviour)

    def fill(
        self,
        record: OrderRecord,
        send: Send,
        quantity: float | None = None,
        price: float | None = None,
        behaviour: OrderBehaviour | None = None,
    ) -> ExecutionRecord:
        """Execute ``quantity`` (default: all remaining) and report it as TWS does."""
        behaviour = behaviour or self.scenario.behaviour_for(
            record.instrument.symbol, record.placed.order_ref
        )
        quantity = record.remaining if quantity is None else quantity
        if quantity <= 0 or record.is_done:
            raise ValueError(f"order {record.placed.order_id} has nothing left to fill")
        price = price or behaviour.fill_price or self._fill_price(record)
        if price is None:
            raise ValueError(f"no price to fill order {record.placed.order_id}: set a quote")
        cost = record.avg_fill_price * record.filled + price * quantity
        record.filled += quantity
        record.avg_fill_price = round(cost / record.filled, 6)
        record.last_fill_price = price
        if record.remaining <= 0:
            record.finish("Filled")
        execution = ExecutionRecord(
            exec_id=f"{record.perm_id:08x}.{len(self.executions) + 1:06d}.01.01",
            order=record,
            shares=quantity,
            price=price,
            cum_qty=record.filled,
            avg_price=record.avg_fill_price,
            time=ib_time(),
            commission=behaviour.commission,
            commission_currency=behaviour.commission_currency or record.instrument.currency,
        )
        self.executions.append(execution)
        if self.scenario.apply_fills:
            signed = quantity if record.placed.action == "BUY" else -quantity
            position = self.scenario.apply_fill(
                record.account, record.instrument.symbol, signed, price, execution.commission
            )
            if signed < 0:
                execution.realized_pnl = round(position.realized_pnl, 2)
        # the order TWS uses: execution, then the new order state, then the commission
        reports = 2 if behaviour.duplicate_execution else 1
        for _ in range(reports):
            send(self.execution_message(execution))
        send(self.open_order_message(record))
        send(self.order_status_message(record))
        for _ in range(reports):
            send(self.commission_message(execution))
        self.on_fill(execution)
        return execution

    def cancel(self, client_id: int, order_id: int, send: Send) -> None:
        """cancelOrder: ORDER_STATUS Cancelled then error 202, as TWS does."""
        record = self.orders.get((client_id, order_id))
        if record is None:
            send(msg.error(order_id, 135, f"Can't find order with id ={order_id}"))
            return
        if record.is_done:
            text = f"OrderId {order_id} that needs to be cancelled cannot be cancelled, state: "
            send(msg.error(order_id, 10148, text + record.status))
            return
        record.finish("Cancelled", "Cancelled by Trader")
        send(self.order_status_message(record))
        send(msg.error(order_id, 202, ERROR_TEXT[202]))

    def open_orders(self, client_id: int | None = None) -> list[OrderRecord]:
        """Working orders, of one client or (``None``) of all clients."""
        return [
            r
            for r in self.orders.values()
            if not r.is_done and (client_id is None or r.placed.client_id == client_id)
        ]

    def completed_orders(self) -> list[OrderRecord]:
        """Orders in a final state, oldest first."""
        return [r for r in self.orders.values() if r.is_done]

    def find_executions(self, f: ExecutionFilterRequest) -> list[ExecutionRecord]:
        """Executions matching a reqExecutions filter (empty filter fields match all)."""
        return [
            e
            for e in self.executions
            if (not f.client_id or e.order.placed.client_id == f.client_id)
            and f.account in ("", e.order.account)
            and f.symbol in ("", e.order.instrument.symbol)
            and f.sec_type in ("", e.order.instrument.sec_type)
            and f.side in ("", e.side, e.order.placed.action)
        ]

    # --- helpers --------------------------------------------------------------------

    def _account_of(self, placed: PlacedOrder) -> str:
        return placed.account or self.scenario.accounts[0].account_id

    def _reference_price(self, instrument: Instrument) -> float | None:
        quote = self.scenario.quotes.get(instrument.symbol)
        return quote.reference_price if quote else None

    def _fill_price(self, record: OrderRecord) -> float | None:
        limit = record.placed.lmt_price
        return limit if limit is not None else self._reference_price(record.instrument)

    def _check(
        self, placed: PlacedOrder, instrument: Instrument, behaviour: OrderBehaviour, send: Send
    ) -> bool:
        """TWS-side validation; sends the error and returns False when refused."""
        oid = placed.order_id

        def refuse(code: int, text: str) -> bool:
            send(msg.error(oid, code, text))
            return False

        if placed.account and placed.account not in self.scenario.account_ids:
            return refuse(201, f"Order rejected - reason:Account {placed.account} is unknown")
        if not self.scenario.allow_fractional and not float(placed.total_quantity).is_integer():
            return refuse(10243, ERROR_TEXT[10243])
        if placed.lmt_price is not None and not _on_tick(placed.lmt_price, instrument.min_tick):
            return refuse(110, ERROR_TEXT[110])
        fills = behaviour.mode in ("fill", "partial") and behaviour.fill_price is None
        if fills and placed.lmt_price is None and self._reference_price(instrument) is None:
            return refuse(201, "Order rejected - reason:No market data to price the order")
        return True


def _on_tick(price: float, tick: float) -> bool:
    return abs(price / tick - round(price / tick)) < 1e-6
