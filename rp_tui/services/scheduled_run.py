"""One scheduled run (``rp-tui run``, what cron or a systemd timer calls): due or not, and if
due, reconciled with the broker, planned and (``[schedule] execute``) executed through the
one guarded execution path every broker shares.

The sequence of a due run:

1. Take the instance lock and decide again under it (another run may just have finished).
2. Append ``run_started`` (period key, run id ``monthly-2026-11.<attempt>``) to the trade
   log: from here a crash leaves the period *unfinished*, resumed by the next run.
3. Reconcile (:mod:`rp_tui.services.reconcile`): the broker's ``rp-tui:`` orders are read
   back, missing fills and outcomes booked, intents that never left marked; the period's
   symbols that already have an order are never sent again.
4. Plan from a fresh snapshot under ``[rebalancing]``; the over-trading guard counts the
   trades before this period (not the period's own earlier attempts).
5. Each order goes only while its own exchange is in its window; the others are held back
   (the period then continues when their exchange opens). The rest are sent by
   :func:`rp_tui.services.execution.execute_plan`: every guard, intent before send,
   ``orderRef = rp-tui:<run id>:<leg>``.

Every run, due or not, appends one ``scheduled_run`` record to the trade log and one line
to the run log; a due run also notifies ``[schedule] notify``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime

from rp_tui.broker.base import Broker, Fill
from rp_tui.errors import BrokerError, UserError
from rp_tui.inputs.portfolio import Asset
from rp_tui.services.exchange_hours import describe, local_time
from rp_tui.services.notifications import notify
from rp_tui.services.plan import plan_from_snapshot, trading_history
from rp_tui.services.plan_records import Plan
from rp_tui.services.reconcile import Reconciliation, reconcile
from rp_tui.services.schedule import (
    RUN_EVENTS,
    Decision,
    Timetable,
    decide,
    order_window,
    run_prefix,
)
from rp_tui.services.session import Session
from rp_tui.services.targets import targets_for
from rp_tui.state.trade_log import TradeLog

# outcome -> exit code (0 done, 1 some orders failed or remain open, 2 refused or failed)
EXIT_CODES = {
    "not_due": 0,
    "planned": 0,
    "no_orders": 0,
    "withheld": 0,
    "executed": 0,
    "held": 0,
    "incomplete": 1,
    "refused": 2,
    "error": 2,
}


@dataclass(frozen=True)
class OrderLine:
    """One order of the run's plan and what became of it: ``state`` ``sent``, ``held``
    (its exchange is closed), ``traded`` (this period already has an order for the symbol)
    or ``planned`` (a plan-only run); ``status`` and ``filled`` the Fill's, when sent."""

    symbol: str
    side: str
    quantity: float
    state: str
    reason: str = ""
    mic: str = ""
    status: str = ""
    filled: float = 0.0


@dataclass
class RunReport:
    """What one ``rp-tui run`` did (the summary record, the run log line, the JSON output).

    Attributes:
        at: when it ran (UTC). decision: whether it was due, and the next moment.
        outcome: ``not_due``, ``planned``, ``no_orders``, ``withheld`` (over-trading
            guard), ``executed``, ``held`` (some orders wait for their exchange),
            ``incomplete`` (some did not fill), ``refused`` (a guard sent nothing) or
            ``error`` (nothing sent: unreachable broker, bad data, lock held).
        message: the outcome in words. run_id: the attempt's run id ("" when not due).
    """

    at: datetime
    decision: Decision
    outcome: str
    message: str
    run_id: str = ""
    plan: Plan | None = None
    orders: list[OrderLine] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    reconciliation: Reconciliation | None = None
    notified: str = ""

    @property
    def exit_code(self) -> int:
        """0 done, 1 some orders did not fill, 2 refused or failed."""
        if self.outcome == "held" and any(f.status != "filled" for f in self.fills):
            return 1
        return EXIT_CODES.get(self.outcome, 2)

    def next_run(self) -> str:
        """The next due moment in exchange and local time ("unknown" when none)."""
        d = self.decision
        if d.next_at is None:
            return "unknown"
        return f"{describe(d.next_at, d.calendar)}, {local_time(d.next_at)} here"

    def to_json(self) -> dict:
        """The summary: ``--format json`` output and the ``scheduled_run`` record."""
        d = self.decision
        plan = self.plan
        return {
            "due": d.due,
            "run_key": d.key,
            "kind": d.kind,
            "run_id": self.run_id,
            "attempt": d.attempt if d.due else 0,
            "calendar": d.calendar,
            "outcome": self.outcome,
            "message": self.message,
            "reason": d.reason,
            "next_run": d.next_at.isoformat() if d.next_at else None,
            "plan": None
            if plan is None
            else {
                "account": plan.account,
                "nav": plan.nav,
                "orders": len(plan.orders),
                "max_abs_drift": plan.max_abs_drift,
                "withheld": plan.withheld,
                "blocked": plan.blocked,
            },
            "orders": [asdict(o) for o in self.orders],
            "held": [{"symbol": o.symbol, "mic": o.mic} for o in self.orders if o.state == "held"],
            "reconciled": self.reconciliation.summary() if self.reconciliation else None,
            "notified": self.notified,
        }

    def line(self) -> str:
        """The run log line (without the time stamp)."""
        key = self.decision.key or "-"
        text = f"{key:<18} {self.outcome:<10} {self.message}"
        if self.notified:
            text += f"; {self.notified}"
        return f"{text}; next run {self.next_run()}"


def read_run_records(log: TradeLog | None = None) -> list[dict]:
    """The trade log's ``run_started`` and ``scheduled_run`` records, oldest first."""
    return (log or TradeLog()).read(events=RUN_EVENTS)


def run_scheduled(
    session: Session,
    open_broker: Callable[[bool], Broker],
    confirm_live: str = "",
    log: TradeLog | None = None,
) -> RunReport:
    """One scheduled run now: decide, and when due run it (module docstring); record it.

    Args:
        session: the portfolio (``[schedule]``, ``[rebalancing]``) and its prices.
        open_broker: makes the broker; its argument says whether it must be read-only
            (a plan-only run never connects to trade).
        confirm_live: a live account's id, typed as confirmation (as ``--confirm-live``).
        log: the trade log (default location).

    Returns:
        The report; its ``exit_code`` is the command's. Never raises for a run that could
        not happen: the report says why (outcome ``error``), and so do the logs.
    """
    from rp_tui.state.lock import single_instance
    from rp_tui.state.run_log import append_run_line

    log = log or TradeLog()
    now = datetime.now(UTC)
    portfolio = session.portfolio
    try:
        decision = decide(portfolio, read_run_records(log), now)
    except UserError as exc:
        blank = Decision(False, "", "", str(exc), None, 0, "")
        report = RunReport(now, blank, "error", f"the schedule cannot be read: {exc}")
    else:
        report = RunReport(now, decision, "not_due", f"not due: {decision.reason}")
        if decision.due:
            try:
                with single_instance("a scheduled run"):
                    decision = decide(portfolio, read_run_records(log), datetime.now(UTC))
                    report = RunReport(now, decision, "not_due", f"not due: {decision.reason}")
                    if decision.due:
                        report = asyncio.run(
                            _due_run(session, open_broker, decision, log, confirm_live)
                        )
            except UserError as exc:  # the lock is held by another rp-tui
                report = RunReport(now, decision, "error", f"{exc}: nothing was sent")
    if report.decision.due or report.outcome == "error":
        report.notified = notify(portfolio.schedule.notify, _title(report), report.line())
    log.append("scheduled_run", **report.to_json())
    append_run_line(report.line(), report.at)
    return report


def _title(report: RunReport) -> str:
    return f"rp-tui {report.decision.key or 'run'}: {report.outcome}"


async def _due_run(
    session: Session,
    open_broker: Callable[[bool], Broker],
    decision: Decision,
    log: TradeLog,
    confirm_live: str,
) -> RunReport:
    """Steps 2-5 of the module docstring, the broker closed at the end."""
    schedule = session.portfolio.schedule
    run_id = decision.run_id
    now = datetime.now(UTC)
    log.append(
        "run_started",
        run_key=decision.key,
        run_id=run_id,
        attempt=decision.attempt,
        kind=decision.kind,
        execute=schedule.execute,
    )
    report = RunReport(now, decision, "error", "", run_id=run_id)
    broker = open_broker(not schedule.execute)
    try:
        await _plan_and_send(session, broker, report, log, confirm_live)
    except (UserError, OSError, ConnectionError) as exc:  # nothing was sent
        report.outcome, report.message = "error", _nothing_sent(exc)
    finally:
        getattr(broker, "disconnect", lambda: None)()
    return report


async def _plan_and_send(
    session: Session, broker: Broker, report: RunReport, log: TradeLog, confirm_live: str
) -> None:
    from rp_tui.services.execution import execute_plan

    portfolio, decision = session.portfolio, report.decision
    prefix = run_prefix(decision.key)
    if hasattr(broker, "orders_by_ref"):
        report.reconciliation = await reconcile(broker, prefix, log)
    elif portfolio.schedule.execute:  # never send what cannot be checked against the broker
        raise BrokerError(
            f"the {broker.kind} broker cannot list its orders, so a scheduled run cannot "
            "reconcile before sending; set [schedule] execute = false"
        )
    else:
        report.reconciliation = Reconciliation()
    traded = report.reconciliation.traded
    snapshot = await broker.snapshot()
    targets = await targets_for(session, broker, snapshot)
    earlier = [
        r for r in log.read(events=("result",)) if not str(r.get("run_id", "")).startswith(prefix)
    ]
    plan = plan_from_snapshot(session, snapshot, targets, history=trading_history(earlier))
    report.plan = plan
    listings = {a.symbol: a for a in portfolio.assets}
    for h in snapshot.holdings:
        listings.setdefault(h.symbol, Asset(h.symbol, h.exchange, h.currency, h.primary_exchange))
    table = Timetable(portfolio, datetime.now(UTC))
    to_send = []
    for order in plan.orders:
        mic, closed = order_window(table, listings[order.symbol], datetime.now(UTC))
        line = OrderLine(order.symbol, order.side, order.quantity, "planned", mic=mic)
        if order.symbol in traded:
            line = replace(
                line, state="traded", reason=f"already this period: {traded[order.symbol]}"
            )
        elif closed:
            line = replace(line, state="held", reason=closed)
        elif portfolio.schedule.execute:
            to_send.append(order)
        report.orders.append(line)
    held = [o for o in report.orders if o.state == "held"]
    if not portfolio.schedule.execute:
        report.outcome = "planned"
        report.message = f"plan only ([schedule] execute = false): {len(plan.orders)} orders"
    elif plan.withheld:
        report.outcome, report.message = "withheld", plan.withheld
    elif not plan.orders:
        report.outcome, report.message = "no_orders", "every asset is within its band"
    elif not to_send:
        report.outcome = "held" if held else "executed"
        report.message = _held_words(held) if held else "every order was already sent this period"
    else:
        sending = replace(plan, orders=tuple(to_send))
        try:
            report.fills = await execute_plan(
                broker, sending, run_id=report.run_id, typed_confirmation=confirm_live
            )
        except BrokerError as exc:  # a guard refused the whole run before anything left
            report.outcome, report.message = "refused", _nothing_sent(exc)
            return
        _settle(report, held)


def _nothing_sent(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text if "nothing was sent" in text else f"{text}: nothing was sent"


def _settle(report: RunReport, held: list[OrderLine]) -> None:
    """Outcome and order lines once the orders were sent."""
    by_symbol = {f.symbol: f for f in report.fills}
    report.orders = [
        replace(
            o, state="sent", status=by_symbol[o.symbol].status, filled=by_symbol[o.symbol].quantity
        )
        if o.state == "planned" and o.symbol in by_symbol
        else o
        for o in report.orders
    ]
    unfilled = [f for f in report.fills if f.status != "filled"]
    sent = len(report.fills)
    report.outcome = "held" if held else "incomplete" if unfilled else "executed"
    report.message = f"{sent - len(unfilled)} of {sent} orders filled"
    if unfilled:
        report.message += "; " + ", ".join(f"{f.side} {f.symbol} {f.status}" for f in unfilled)
    if held:
        report.message += "; " + _held_words(held)


def _held_words(held: list[OrderLine]) -> str:
    names = ", ".join(f"{o.side} {o.symbol} ({o.mic or '?'})" for o in held)
    return f"held back, exchange closed: {names}; sent when it opens"
