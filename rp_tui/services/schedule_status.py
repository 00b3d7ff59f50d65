"""The schedule at a glance, for the dashboard and ``rp-tui schedule show``: the policy it
follows, the next due moments, and the last scheduled run with its outcome. Reads the
trade log only: no broker, no lock, nothing written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from rp_tui.errors import UserError
from rp_tui.inputs.portfolio import Portfolio
from rp_tui.services.schedule import decide, upcoming
from rp_tui.state.trade_log import TradeLog


@dataclass(frozen=True)
class ScheduleStatus:
    """Where the schedule stands now.

    Attributes:
        calendar: the MIC whose sessions decide due moments ("" when unknown).
        frequency, anchor: ``[rebalancing]``'s (``monthly``, ``last``…).
        minutes_after_open: ``[schedule]``'s. execute: whether runs send orders.
        due_now: a run started now would run. reason: why (not), in words.
        next_key, next_at: the next due period and moment (UTC; ``None`` when unknown).
        upcoming: the next five ``(period key, UTC moment)``, a pending catch-up,
            resume or continuation first.
        last_key, last_at, last_outcome, last_message: the last *due* run (key, ISO UTC
            time, outcome such as ``executed``, its words); "" when none ran yet.
        problem: why the schedule cannot be computed (a config or calendar error), "".
    """

    calendar: str
    frequency: str
    anchor: str
    minutes_after_open: int
    execute: bool
    due_now: bool = False
    reason: str = ""
    next_key: str = ""
    next_at: datetime | None = None
    upcoming: tuple[tuple[str, datetime], ...] = ()
    last_key: str = ""
    last_at: str = ""
    last_outcome: str = ""
    last_message: str = ""
    problem: str = ""

    def to_json(self) -> dict:
        """JSON-ready (times as ISO strings)."""
        return {
            "calendar": self.calendar,
            "frequency": self.frequency,
            "anchor": self.anchor,
            "minutes_after_open": self.minutes_after_open,
            "execute": self.execute,
            "due_now": self.due_now,
            "reason": self.reason,
            "next_key": self.next_key,
            "next_at": self.next_at.isoformat() if self.next_at else None,
            "upcoming": [{"key": k, "at": at.isoformat()} for k, at in self.upcoming],
            "last_run": {
                "key": self.last_key,
                "at": self.last_at,
                "outcome": self.last_outcome,
                "message": self.last_message,
            },
            "problem": self.problem,
        }


def schedule_status(
    session_or_portfolio, log: TradeLog | None = None, now: datetime | None = None
) -> ScheduleStatus:
    """The schedule of a session (or a portfolio) now.

    Args:
        session_or_portfolio: a :class:`~rp_tui.services.session.Session` or its
            :class:`~rp_tui.inputs.portfolio.Portfolio`.
        log: the trade log (default location). now: the moment (default the clock).

    Never raises for a schedule that cannot be computed: ``problem`` says why.
    """
    portfolio: Portfolio = getattr(session_or_portfolio, "portfolio", session_or_portfolio)
    now = now or datetime.now(UTC)
    records = (log or TradeLog()).read(events=("run_started", "scheduled_run"))
    policy, schedule = portfolio.rebalancing, portfolio.schedule
    base = {
        "frequency": policy.frequency,
        "anchor": policy.anchor,
        "minutes_after_open": schedule.minutes_after_open,
        "execute": schedule.execute,
    }
    last = next(
        (r for r in reversed(records) if r.get("event") == "scheduled_run" and r.get("due")), {}
    )
    last_fields = {
        "last_key": str(last.get("run_key") or ""),
        "last_at": str(last.get("ts") or ""),
        "last_outcome": str(last.get("outcome") or ""),
        "last_message": str(last.get("message") or ""),
    }
    try:
        decision = decide(portfolio, records, now)
        coming = tuple(upcoming(portfolio, records, 5, now))
    except UserError as exc:
        return ScheduleStatus("", **base, **last_fields, problem=str(exc))
    return ScheduleStatus(
        decision.calendar,
        **base,
        due_now=decision.due,
        reason=decision.reason,
        next_key=coming[0][0] if coming else "",
        next_at=coming[0][1] if coming else None,
        upcoming=coming,
        **last_fields,
    )
