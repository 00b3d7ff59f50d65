"""Reconciliation with the broker before a scheduled run sends anything (order-safety items 11,
13, 14): the broker's own record of every ``rp-tui:`` order is read back, what the trade log
lacks is booked, and the current period's orders are never sent again.

- Every execution the broker reports is booked once by its ``exec_id`` (a ``fill`` record
  marked ``reconciled``); an order whose outcome the log never heard (a crash between send
  and acknowledgement, or after a partial fill) gets its ``result`` record from the broker.
- An intent with no outcome in the log that the broker does not know never reached it (a
  crash between the intent and the send): a ``not_sent`` record says so. One older than
  :data:`BROKER_MEMORY` is marked ``unknown`` instead: brokers list today's orders only.
- The period's symbols that already have an order at the broker (any status: working,
  filled, cancelled, rejected) are not traded again in that period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from rp_tui.broker.base import Broker, BrokerOrder
from rp_tui.state.trade_log import TradeLog

REF_PREFIX = "rp-tui:"
BROKER_MEMORY = timedelta(hours=12)  # an order younger than this is listed by the broker
LOG_EVENTS = ("intent", "result", "not_sent", "fill", "reconciled")


@dataclass(frozen=True)
class Reconciliation:
    """What reconciliation found and booked.

    Attributes:
        found: every ``rp-tui:`` order the broker knows.
        booked_fills: executions written to the trade log now (the log had missed them).
        results: orders whose outcome was written now (crash after the send).
        not_sent: order refs of intents that never reached the broker.
        unknown: order refs of older intents the broker no longer lists.
        working: order refs still working at the broker.
        traded: this period's symbols that already have an order at the broker, with
            what it did (``SELL 5/5 filled (rp-tui:…:0)``): never sent again this period.
    """

    found: tuple[BrokerOrder, ...] = ()
    booked_fills: int = 0
    results: tuple[str, ...] = ()
    not_sent: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    working: tuple[str, ...] = ()
    traded: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict:
        """The JSON-ready counts for the run's summary record."""
        return {
            "orders_found": len(self.found),
            "fills_booked": self.booked_fills,
            "results_booked": list(self.results),
            "never_sent": list(self.not_sent),
            "unknown": list(self.unknown),
            "working": list(self.working),
            "traded_this_period": dict(self.traded),
        }


def run_id_of(order_ref: str) -> str:
    """The run id inside ``rp-tui:<run id>:<leg>`` ("" for another form)."""
    if not order_ref.startswith(REF_PREFIX):
        return ""
    return order_ref[len(REF_PREFIX) :].rpartition(":")[0]


async def reconcile(
    broker: Broker, period_prefix: str, log: TradeLog | None = None, now: datetime | None = None
) -> Reconciliation:
    """Read back the broker's ``rp-tui:`` orders and book what the trade log lacks.

    Args:
        broker: any broker with the ``orders_by_ref`` primitive.
        period_prefix: the run-id prefix of the current period (``monthly-2026-11.``).
        log: the trade log (default location when ``None``).
        now: the moment (default the clock), to age intents.

    Raises:
        BrokerError: the broker cannot be asked: nothing may be sent before it can.
    """
    log = log or TradeLog()
    now = now or datetime.now(UTC)
    found = tuple(await broker.orders_by_ref(REF_PREFIX))
    records = log.read(events=LOG_EVENTS)
    by_ref: dict[str, list[dict]] = {}
    for r in records:
        if r.get("order_ref"):
            by_ref.setdefault(str(r["order_ref"]), []).append(r)
    booked, results = 0, []
    for order in found:
        mine = by_ref.get(order.order_ref, [])
        new, wrote_result = _book(log, order, mine)
        booked += new
        if wrote_result:
            results.append(order.order_ref)
    known = {o.order_ref for o in found}
    not_sent, unknown = [], []
    for ref, mine in by_ref.items():
        intent = next((r for r in mine if r.get("event") == "intent"), None)
        settled = any(r.get("event") in ("result", "not_sent", "reconciled") for r in mine)
        if intent is None or settled or ref in known:
            continue
        if now - _when(intent) <= BROKER_MEMORY:
            log.append(
                "not_sent",
                run_id=intent.get("run_id", run_id_of(ref)),
                order_ref=ref,
                symbol=intent.get("symbol"),
                side=intent.get("side"),
                quantity=intent.get("quantity"),
                status="cancelled",
                reason=f"never reached {broker.access().name}: the run stopped between its "
                "intent and the send (found by reconciliation)",
            )
            not_sent.append(ref)
        else:
            log.append(
                "reconciled",
                run_id=intent.get("run_id", run_id_of(ref)),
                order_ref=ref,
                symbol=intent.get("symbol"),
                status="unknown",
                message="the broker no longer lists orders this old; check the account's "
                "statement for it",
            )
            unknown.append(ref)
    traded = _traded(found, records, period_prefix)
    working = tuple(o.order_ref for o in found if o.status == "working")
    return Reconciliation(
        found, booked, tuple(results), tuple(not_sent), tuple(unknown), working, traded
    )


def _when(record: dict) -> datetime:
    try:
        return datetime.fromisoformat(record["ts"])
    except (KeyError, TypeError, ValueError):
        return datetime.min.replace(tzinfo=UTC)


def _book(log: TradeLog, order: BrokerOrder, mine: Sequence[dict]) -> tuple[int, bool]:
    """Book ``order``'s executions the log lacks (by exec_id) and, when the log holds no
    result for it and it is done, its result. Returns (fills booked, result written)."""
    run_id = run_id_of(order.order_ref)
    logged = {r.get("exec_id") for r in mine if r.get("event") == "fill"}
    results = [r for r in mine if r.get("event") in ("result", "reconciled")]
    logged_filled = max(
        [float(r.get("filled") or 0.0) for r in results]
        + [sum(float(r.get("shares") or 0.0) for r in mine if r.get("event") == "fill")]
    )
    new = [e for e in order.executions if e.exec_id not in logged]
    if order.filled <= logged_filled + 1e-9:
        new = []  # the log already accounts for every share (the demo logs results only)
    for e in new:
        log.append(
            "fill",
            run_id=run_id,
            order_ref=order.order_ref,
            exec_id=e.exec_id,
            shares=e.shares,
            price=e.price,
            commission=e.commission,
            commission_currency=e.commission_currency,
            reconciled=True,
        )
    has_result = any(r.get("event") == "result" for r in mine)
    fields = {
        "run_id": run_id,
        "order_ref": order.order_ref,
        "symbol": order.symbol,
        "status": order.status,
        "filled": order.filled,
        "remaining": max(order.quantity - order.filled, 0.0),
        "avg_price": order.avg_price if order.filled else None,
        "commission": sum(e.commission for e in order.executions),
        "reconciled": True,
    }
    if not has_result and order.status != "working":
        status = order.status
        if status == "cancelled" and order.filled > 0:
            status = "partial"
        log.append(
            "result",
            **{**fields, "status": status},
            message=f"outcome read back from the broker ({order.status}) after the run stopped",
        )
        return len(new), True
    if new or (not has_result and not results):
        log.append("reconciled", **fields, message="read back from the broker")
    return len(new), False


def _traded(found: Sequence[BrokerOrder], records: Sequence[dict], prefix: str) -> dict[str, str]:
    """This period's symbols with an order that reached the broker: found there, or a
    ``result`` in the log (an order the broker no longer lists, e.g. yesterday's)."""
    traded: dict[str, str] = {}
    for o in found:
        if run_id_of(o.order_ref).startswith(prefix):
            what = f"{o.side} {o.filled:g}/{o.quantity:g} {o.status} ({o.order_ref})"
            traded.setdefault(o.symbol, what)
    for r in records:
        if r.get("event") == "result" and str(r.get("run_id", "")).startswith(prefix):
            symbol = str(r.get("symbol", ""))
            what = f"{r.get('status')} {float(r.get('filled') or 0):g} ({r.get('order_ref')})"
            traded.setdefault(symbol, what)
    return traded
