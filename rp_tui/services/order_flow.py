"""The one execution path every broker shares: guards, pre-trade checks, and each order's send.

In order (order-safety items 1-4, 6, 8, 10, 11, 15, 17):

1. Refuse, sending nothing, a read-only or disconnected broker, a live account without
   ``allow_live`` and its id typed, and the HALTED trading state; under REDUCING buys are
   refused (each a ``rejected`` :class:`Fill`) and the sells go on.
2. Fresh quotes; every order's price (its limit on the tick) through
   :func:`rp_tui.domain.safety.check_orders`: caps, price band, whole shares. A refusal is
   logged and sends nothing.
3. Sells first. Immediately before EACH order leaves, the trading state and the connection
   are read again: HALTED (or a lost connection) sends nothing more in this run, REDUCING no
   buy. The intent is written (fsync'd) to the trade log before the order is placed, with
   ``orderRef = rp-tui:<run id>:<leg>``.
4. Wait up to ``[execution] fill_timeout``; what is still working is cancelled or kept
   (``[execution] unfilled``), logged, and said in the Fill's message.
5. Buys resized on the cash the sells actually brought
   (:func:`rp_tui.domain.rebalance.fit_buys`), skipped while a sell's outcome is not known;
   then sent as in 3 and 4.

Every order gets one :class:`Fill` and at least one trade-log record, sent or not.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np

from rp_tui.broker.base import (
    Broker,
    Fill,
    OrderOutcome,
    OrderRequest,
    Ticket,
)
from rp_tui.broker.crash_points import crash_point
from rp_tui.domain.fee_model import FeeTable
from rp_tui.domain.safety import OrderCheck, TradingState, check_orders
from rp_tui.domain.share_fitting import fit_buys
from rp_tui.errors import BrokerError
from rp_tui.services.order_run import Leg, Run, book
from rp_tui.state.trading_state import read_trading_state

CANCEL_WAIT_SECONDS = 5.0  # how long a cancel may take to be confirmed


async def execute_orders(
    broker: Broker,
    orders: Sequence[OrderRequest],
    *,
    run_id: str = "",
    buy_budget: float | None = None,
    typed_confirmation: str = "",
    fractional: bool = False,
) -> list[Fill]:
    """Send confirmed ``orders`` through ``broker`` under every guard (module docstring).

    Args:
        broker: any broker implementing the primitives of :class:`Broker`.
        orders: the confirmed orders, quantities in shares, prices in listing currency.
        run_id: names the run in order refs (default: a UTC timestamp and a random tag).
        buy_budget: base-currency cash buys may spend before sale proceeds; ``None`` sends
            the buys as given (no resizing).
        typed_confirmation: the account id a live account needs typed.
        fractional: the orders may hold fractional shares (``[rebalancing] fractional``);
            refused by a broker that takes whole shares only.

    Returns:
        One :class:`Fill` per order, sells first (statuses ``filled``, ``partial``,
        ``open``, ``cancelled``, ``rejected``, ``unknown``).

    Raises:
        BrokerError: refused before anything was sent (read-only, disconnected, live guard,
            HALTED, REDUCING with no sell, or a pre-trade check: every reason listed).
    """
    run_id = run_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    run = Run(broker, run_id)
    state = _guard(run, typed_confirmation, fractional)
    run.whole_shares = not fractional
    ordered = sorted(orders, key=lambda o: o.side != "SELL")
    legs = [Leg(o, f"rp-tui:{run_id}:{i}") for i, o in enumerate(ordered)]
    to_send = legs
    if state is TradingState.REDUCING:
        for leg in legs:
            if leg.order.side == "BUY":
                run.not_sent(leg, "rejected", "refused: the trading state is REDUCING (sells only)")
        to_send = [leg for leg in legs if leg.order.side == "SELL"]
        if not to_send:
            raise run.refuse(
                ["REDUCING: only sells may be sent"],
                "trading state is REDUCING (sells only) and the plan has no sells: "
                "nothing was sent",
            )
    await _check(run, to_send, state)
    sells = [leg for leg in to_send if leg.order.side == "SELL"]
    buys = [leg for leg in to_send if leg.order.side == "BUY"]
    resizing = buys and buy_budget is not None
    fees = broker.buy_fees([leg.order.symbol for leg in buys]) if resizing else None
    sold = await _send(run, sells)
    unresolved = [leg for leg, outcome in sold if outcome.working or outcome.status == "unknown"]
    if buys and unresolved:
        names = ", ".join(f"SELL {leg.order.symbol}" for leg in unresolved)
        run.log.append("buys_skipped", run_id=run_id, reason=f"unresolved: {names}")
        for leg in buys:
            run.not_sent(leg, "cancelled", f"not sent: a sell's outcome is not known ({names})")
        buys = []
    if buys and buy_budget is not None:
        received = sum(
            (run.fills[leg.ref].quantity * run.fills[leg.ref].price - run.fills[leg.ref].commission)
            * broker.fx(leg.order.currency)
            for leg, _ in sold
        )
        buys = _resize(run, buys, fees, buy_budget + received)
    await _send(run, buys)
    return [run.fills[leg.ref] for leg in legs]


def _guard(run: Run, typed_confirmation: str, fractional: bool) -> TradingState:
    """Refuse the whole run (logged) or return the trading state it starts in."""
    access = run.broker.access()
    reason = ""
    if access.read_only_reason:
        reason = access.read_only_reason
    elif access.read_only:
        reason = "connected read-only: set [broker] read_only = false in portfolio.toml to trade"
    elif not access.connected:
        reason = f"not connected to {access.where}: nothing was sent"
    elif access.live and not access.allow_live:
        reason = (
            f"{access.account} is a live account: set [broker] allow_live = true and type "
            "the account id to confirm"
        )
    elif access.live and typed_confirmation != access.account:
        reason = f"live account {access.account}: type its id to confirm"
    elif fractional and not access.fractional:
        reason = (
            f"{access.name} takes whole shares only through its API: set [rebalancing] "
            "fractional = false; nothing was sent"
        )
    if reason:
        raise run.refuse([reason], reason)
    try:
        state = read_trading_state()
    except BrokerError as exc:
        raise run.refuse([str(exc)], f"{exc}: nothing was sent") from exc
    if state is TradingState.HALTED:
        raise run.refuse(["HALTED"], "trading state is HALTED: nothing was sent")
    return state


async def _check(run: Run, legs: list[Leg], state: TradingState) -> None:
    """Fresh quotes, each order prepared at its limit, and the pre-trade checks."""
    broker = run.broker
    symbols = sorted({leg.order.symbol for leg in legs})
    await broker.prepare_run(symbols)
    quotes = await broker.quotes(symbols)
    now = time.time()
    checks = []
    for leg in legs:
        o = leg.order
        leg.quote = quotes[o.symbol]
        leg.prepared = broker.prepare(o, leg.quote, leg.ref)
        price = leg.prepared.price
        checks.append(
            OrderCheck(
                o.symbol,
                o.side,
                o.quantity,
                price,
                o.quantity * price * broker.fx(o.currency),
                leg.quote.price,
                now - leg.quote.received,
            )
        )
    problems = check_orders(checks, broker.nav(), broker.limits, state, run.whole_shares)
    if problems:
        raise run.refuse(problems, "orders refused, nothing was sent:\n  " + "\n  ".join(problems))


async def _send(run: Run, legs: list[Leg]) -> list[tuple[Leg, OrderOutcome]]:
    """Send ``legs`` one by one (each re-checked right before it leaves), wait for their
    outcome, settle what is still working, and record one Fill per leg."""
    broker = run.broker
    sent: list[tuple[Leg, Ticket]] = []
    for leg in legs:
        why = run.checkpoint(leg.order)
        if why:
            run.not_sent(leg, "cancelled", why)
            continue
        order, prepared = leg.order, leg.prepared
        run.log.append(
            "intent",
            run_id=run.run_id,
            order_ref=leg.ref,
            account=broker.access().account,
            symbol=order.symbol,
            side=order.side,
            quantity=order.quantity,
            order_type=prepared.order_type,
            limit=prepared.price,
            currency=order.currency,
            estimated_commission=order.commission,
        )
        crash_point("flow:after_intent")
        try:
            ticket = await broker.place(prepared, run.run_id)
        except (BrokerError, ConnectionError) as exc:
            run.stopped = f"not sent: {exc}"
            run.not_sent(leg, "cancelled", run.stopped)
            continue
        sent.append((leg, ticket))
    if not sent:
        return []
    timeout = broker.execution.fill_timeout
    await broker.wait([t for _, t in sent], timeout)
    await _cancel_unfilled(run, [t for _, t in sent])
    return [(leg, book(run, leg, ticket, timeout)) for leg, ticket in sent]


async def _cancel_unfilled(run: Run, tickets: list[Ticket]) -> None:
    """``unfilled = "cancel"``: cancel what still works after the fill timeout, and wait
    (up to ``CANCEL_WAIT_SECONDS``) for the broker to confirm."""
    broker = run.broker
    if broker.execution.unfilled != "cancel":
        return
    cancelling = []
    for ticket in tickets:
        if broker.outcome(ticket).working:
            await broker.cancel(ticket)
            if ticket.cancel_requested:
                cancelling.append(ticket)
    if cancelling:
        await broker.wait(cancelling, CANCEL_WAIT_SECONDS)


def _resize(run: Run, buys: list[Leg], table: FeeTable, budget: float) -> list[Leg]:
    """Shrink the buys to ``budget`` (base currency) now that the sells are done;
    ``table`` holds the buys' commission schedules, in their order."""
    broker = run.broker
    wanted = np.array([leg.order.quantity for leg in buys])
    prices = np.array([leg.prepared.price for leg in buys])
    fx = np.array([broker.fx(leg.order.currency) for leg in buys])
    fitted, commissions = fit_buys(wanted, prices, fx, table, budget, run.whole_shares)
    kept = []
    for leg, quantity, commission in zip(buys, fitted, commissions, strict=True):
        if quantity == leg.order.quantity:
            kept.append(leg)
            continue
        run.log.append(
            "resized",
            run_id=run.run_id,
            order_ref=leg.ref,
            symbol=leg.order.symbol,
            planned=leg.order.quantity,
            quantity=float(quantity),
            budget=budget,
        )
        if quantity <= 0:
            run.not_sent(leg, "cancelled", "not sent: no cash left for it after the sells")
            continue
        leg.order = replace(leg.order, quantity=float(quantity), commission=float(commission))
        leg.prepared = broker.prepare(leg.order, leg.quote, leg.ref)
        kept.append(leg)
    return kept
