"""One execution run's state and records: its orders (legs), the Fill of each, whether
HALTED or a lost connection has ended the sending, and what it writes to the trade log
(refusals, orders not sent, unfilled remainders, executions, results)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from rp_tui.broker.base import (
    Broker,
    Fill,
    OrderOutcome,
    OrderRequest,
    PreparedOrder,
    Quote,
    Ticket,
)
from rp_tui.domain.safety import TradingState
from rp_tui.errors import BrokerError
from rp_tui.state.trading_state import read_trading_state


@dataclass
class Leg:
    """One order of the run: the request (resized buys replace it), its ref and quote."""

    order: OrderRequest
    ref: str
    quote: Quote | None = None
    prepared: PreparedOrder | None = None


class Run:
    """The state of one execution: the broker, its log, the Fills by order ref, and
    whether HALTED or a lost connection has ended the sending."""

    def __init__(self, broker: Broker, run_id: str):
        self.broker, self.run_id, self.log = broker, run_id, broker.log
        self.fills: dict[str, Fill] = {}
        self.stopped = ""  # why nothing more is sent in this run
        self.whole_shares = True  # False: [rebalancing] fractional on a broker that takes it

    def refuse(self, reasons: Sequence[str], message: str) -> BrokerError:
        """Log a refusal of the whole run (nothing was sent) and the error to raise."""
        self.log.append(
            "refused",
            run_id=self.run_id,
            account=self.broker.access().account,
            reasons=list(reasons),
        )
        return BrokerError(message)

    def not_sent(self, leg: Leg, status: str, reason: str) -> None:
        """Record an order that did not leave: a ``cancelled``/``rejected`` Fill + log."""
        order = leg.order
        self.log.append(
            "not_sent",
            run_id=self.run_id,
            order_ref=leg.ref,
            symbol=order.symbol,
            side=order.side,
            quantity=order.quantity,
            status=status,
            reason=reason,
        )
        price = leg.prepared.price if leg.prepared else order.price
        self.fills[leg.ref] = Fill(
            order.symbol,
            order.side,
            0.0,
            price,
            0.0,
            order.currency,
            status,
            reason,
            order.quantity,
            leg.ref,
        )

    def checkpoint(self, order: OrderRequest) -> str:
        """Why ``order`` may not leave now ("" when it may): the trading state and the
        connection, read again right before it is sent."""
        if self.stopped:
            return self.stopped
        try:
            state = read_trading_state()
        except BrokerError as exc:  # an unreadable kill switch stops the run
            self.stopped = f"not sent: {exc}"
            return self.stopped
        if state is TradingState.HALTED:
            self.stopped = "not sent: the trading state became HALTED during the run"
            return self.stopped
        if not self.broker.access().connected:
            self.stopped = "not sent: disconnected"
            return self.stopped
        if state is TradingState.REDUCING and order.side == "BUY":
            return "not sent: the trading state is REDUCING (sells only)"
        return ""


def book(run: Run, leg: Leg, ticket: Ticket, timeout: float) -> OrderOutcome:
    """The final word on one sent order: its executions and result in the trade log, what
    became of an unfilled remainder in the Fill's message, and the Fill."""
    outcome = run.broker.outcome(ticket)
    wanted, filled = leg.order.quantity, outcome.filled
    where = run.broker.access().name
    action, message = "", outcome.message
    if ticket.cancel_requested and outcome.status != "unknown" and filled < wanted:
        if outcome.working:
            action = "cancel_unconfirmed"
            message = f"cancel requested after {timeout:g} s but not confirmed: check {where}"
        elif filled > 0:
            action, message = (
                "cancelled",
                f"partial: {filled:g} of {wanted:g} filled, remainder cancelled",
            )
        else:
            action, message = "cancelled", f"not filled within {timeout:g} s: cancelled"
            outcome = replace(outcome, status="cancelled")
    elif outcome.working:
        action = "kept"
        message = (
            f"partial: {filled:g} of {wanted:g} filled, remainder kept working at {where}"
            if filled > 0
            else f"not filled within {timeout:g} s: kept working at {where}"
        )
    outcome = replace(outcome, message=message)
    if action:
        run.log.append(
            "unfilled",
            run_id=run.run_id,
            order_ref=leg.ref,
            symbol=leg.order.symbol,
            filled=filled,
            remaining=wanted - filled,
            action=action,
            message=message,
        )
    for e in outcome.executions:
        run.log.append(
            "fill",
            run_id=run.run_id,
            order_ref=leg.ref,
            exec_id=e.exec_id,
            shares=e.shares,
            price=e.price,
            commission=e.commission,
            commission_currency=e.commission_currency,
        )
    run.log.append(
        "result",
        run_id=run.run_id,
        order_ref=leg.ref,
        symbol=leg.order.symbol,
        status=outcome.status,
        filled=filled,
        remaining=wanted - filled,
        avg_price=outcome.avg_price,
        commission=outcome.commission,
        message=message,
    )
    run.fills[leg.ref] = Fill(
        leg.order.symbol,
        leg.order.side,
        float(filled),
        float(outcome.avg_price),
        float(outcome.commission),
        leg.order.currency,
        outcome.status,
        message,
        float(wanted - filled),
        leg.ref,
    )
    return outcome
