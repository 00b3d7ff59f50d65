"""When a scheduled run is due: ``[rebalancing]``'s frequency and anchor day, ``[schedule]``'s
minutes after the open, the exchange calendars of the portfolio's listings, and what the
trade log says earlier runs did.

A period (``monthly:2026-11``, ``weekly:2026-W48``, ``quarterly:2026-Q4``) is due at its
anchor session's open plus ``minutes_after_open`` on the policy's calendar
(``[rebalancing] calendar``, else the first asset's exchange). Every run and every order
keeps to a *window* of its own exchange's session: from ``minutes_after_open`` after the
open (the opening auction is over) to :data:`CLOSING_MARGIN` plus twice ``[execution]
fill_timeout`` before the close (no order meets the closing auction), early closes included.

A period runs once. Its state comes from the trade log: ``run_started`` (written under the
lock before anything is asked of the broker) and ``scheduled_run`` (the summary) records:

- none: never started. Due in the anchor session's window; a missed one (the schedule was
  in place: an earlier ``scheduled_run`` record exists) is caught up in the next window
  when ``catch_up`` is on — only the latest period, never several.
- unfinished (started, no summary: a crash) or retry (the last attempt failed before it
  could send anything): due again in the next window of the period, after
  reconciliation with the broker.
- held (orders waited for their closed exchange): due when one of those exchanges is in
  its window.
- done: any other outcome; the next period is the next due moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from rp_tui.errors import ConfigError, DataError
from rp_tui.inputs.portfolio import Asset, Portfolio
from rp_tui.inputs.trading_days import calendar_for
from rp_tui.services.exchange_hours import TradingSession, sessions_between

CLOSING_MARGIN = timedelta(minutes=15)  # before the close: the closing auction's order entry
PAST_DAYS, FUTURE_DAYS = 200, 520  # sessions looked at around now: a quarter back, 5 ahead
RUN_EVENTS = ("run_started", "scheduled_run")


@dataclass(frozen=True)
class Window:
    """When runs and orders may happen on one session of exchange ``mic``: ``start`` to
    ``end`` (UTC); ``close`` is the session's close, ``early_close`` a short day."""

    mic: str
    day: date
    start: datetime
    end: datetime
    close: datetime
    early_close: bool = False

    def holds(self, moment: datetime) -> bool:
        """Whether ``moment`` lies in the window (both ends included)."""
        return self.start <= moment <= self.end


@dataclass(frozen=True)
class Period:
    """One rebalancing period: its ``key`` and the window of its anchor session (the due
    moment is ``window.start``)."""

    key: str
    window: Window

    @property
    def due_at(self) -> datetime:
        """The due moment, UTC."""
        return self.window.start


@dataclass(frozen=True)
class PeriodState:
    """What the trade log says of one period: ``state`` ``none``, ``unfinished``,
    ``retry``, ``held`` or ``done``; ``attempts`` started so far; the last summary record
    (``{}`` when none) and, when held, the MICs the held orders wait for."""

    state: str = "none"
    attempts: int = 0
    last: dict | None = None
    held_mics: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    """Whether a run is due now.

    Attributes:
        due: run now.
        key: the period the run is (or would be) for, "" when none applies.
        kind: ``on-time``, ``catch-up``, ``resume`` (after a crash), ``retry`` (after an
            error that sent nothing) or ``continue`` (held orders); "" when not due.
        reason: why (not), in words.
        next_at: the next moment a run may be due (UTC), ``None`` when none is known.
        attempt: the attempt number a due run has (1 for the first).
        calendar: the MIC that decides the due moments.
    """

    due: bool
    key: str
    kind: str
    reason: str
    next_at: datetime | None
    attempt: int
    calendar: str

    @property
    def run_id(self) -> str:
        """The run id of this attempt (``monthly-2026-11.2``), in every order reference."""
        return f"{run_prefix(self.key)}{self.attempt}"


def run_prefix(key: str) -> str:
    """Every run id of period ``key`` starts with this (``monthly-2026-11.``)."""
    return key.replace(":", "-") + "."


def period_key(frequency: str, day: date) -> str:
    """The period of ``day``: ``weekly:2026-W48`` (ISO weeks, Monday first, as the backtest's
    periods), ``monthly:2026-11`` or ``quarterly:2026-Q4``."""
    if frequency == "weekly":
        year, week, _ = day.isocalendar()
        return f"weekly:{year}-W{week:02d}"
    if frequency == "quarterly":
        return f"quarterly:{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"monthly:{day:%Y-%m}"


def policy_calendar(portfolio: Portfolio) -> str:
    """The MIC whose sessions decide due moments: ``[rebalancing] calendar``, else (also
    for ``file``) the first asset's exchange.

    Raises:
        DataError: the first asset's exchange has no known calendar.
    """
    mic = portfolio.rebalancing.calendar.upper()
    return mic if mic not in ("", "FILE") else calendar_for(portfolio.assets[0])


def listing_calendar(asset: Asset) -> str:
    """The MIC of the exchange that lists ``asset``. Raises DataError when none is known."""
    return calendar_for(asset)


def closing_margin(portfolio: Portfolio) -> timedelta:
    """How long before a close the last run or order may start: :data:`CLOSING_MARGIN`
    plus the sells' and the buys' fill timeouts."""
    return CLOSING_MARGIN + timedelta(seconds=2 * portfolio.execution.fill_timeout)


def windows(portfolio: Portfolio, mic: str, start: date, end: date) -> list[Window]:
    """The run windows of ``mic``'s sessions from ``start`` to ``end``.

    Raises:
        ConfigError: ``minutes_after_open`` reaches into the closing margin of a session
            (an early close, usually): named with the session and the largest value that
            works.
        DataError: an unknown MIC or dates the calendar does not cover.
    """
    after = timedelta(minutes=portfolio.schedule.minutes_after_open)
    margin = closing_margin(portfolio)
    found = []
    for s in sessions_between(mic, start, end):
        found.append(_window(s, after, margin, portfolio))
    return found


def _window(s: TradingSession, after: timedelta, margin: timedelta, portfolio) -> Window:
    start, end = s.open + after, s.close - margin
    if start > end:
        largest = int((s.close - margin - s.open).total_seconds() // 60)
        short = "closes early" if s.early_close else "closes"
        raise ConfigError(
            str(portfolio.path),
            f"{after.total_seconds() / 60:g} minutes after the open is too late on {s.day} "
            f"({s.mic} {short} at {s.close:%H:%M} UTC): a run must start "
            f"{margin.total_seconds() / 60:g} minutes before the close (the closing auction, "
            f"then 2 x [execution] fill_timeout); use at most {max(largest, 0)}",
            key="schedule.minutes_after_open",
            line=_line(portfolio.path, "schedule.minutes_after_open"),
        )
    return Window(s.mic, s.day, start, end, s.close, s.early_close)


def _line(path, key: str) -> int | None:
    """The line of ``key`` in the portfolio file, for the message (None when unreadable)."""
    from rp_tui.inputs.toml_reader import locate

    try:
        return locate(path.read_text("utf-8"), key)
    except (OSError, UnicodeDecodeError):
        return None


def periods(portfolio: Portfolio, found: Sequence[Window]) -> list[Period]:
    """Each complete period of ``found`` (one exchange's windows, in order) with its anchor
    session: the first and last periods are dropped, as ``found`` may cut them."""
    policy = portfolio.rebalancing
    groups: dict[str, list[Window]] = {}
    for w in found:
        groups.setdefault(period_key(policy.frequency, w.day), []).append(w)
    keys = list(groups)[1:-1]
    return [Period(k, groups[k][0 if policy.anchor == "first" else -1]) for k in keys]


def period_state(key: str, records: Sequence[dict]) -> PeriodState:
    """Period ``key``'s state from the trade log's ``run_started`` and ``scheduled_run``
    records (oldest first)."""
    started = [r for r in records if r.get("event") == "run_started" and r.get("run_key") == key]
    if not started:
        return PeriodState()
    run_id = started[-1].get("run_id")
    done = [
        r
        for r in records
        if r.get("event") == "scheduled_run" and r.get("due") and r.get("run_id") == run_id
    ]
    if not done:
        return PeriodState("unfinished", len(started))
    last = done[-1]
    outcome = last.get("outcome")
    if outcome == "held":
        mics = tuple(sorted({h.get("mic", "") for h in last.get("held", []) if h.get("mic")}))
        return PeriodState("held", len(started), last, mics)
    return PeriodState("retry" if outcome == "error" else "done", len(started), last)


def _active_before(moment: datetime, records: Sequence[dict]) -> bool:
    """Whether a scheduled run was recorded before ``moment`` (the schedule was in place)."""
    for r in records:
        if r.get("event") != "scheduled_run":
            continue
        try:
            if datetime.fromisoformat(r["ts"]) < moment:
                return True
        except (KeyError, TypeError, ValueError):
            continue
    return False


class Timetable:
    """The windows and periods around ``now`` of a portfolio's calendars.

    Raises:
        ConfigError / DataError: as :func:`windows` and :func:`policy_calendar`.
    """

    def __init__(self, portfolio: Portfolio, now: datetime):
        self.portfolio, self.now = portfolio, now
        self.start = (now - timedelta(days=PAST_DAYS)).date()
        self.end = (now + timedelta(days=FUTURE_DAYS)).date()
        self.calendar = policy_calendar(portfolio)
        self._windows: dict[str, list[Window]] = {}
        self.periods = periods(portfolio, self.windows(self.calendar))

    def windows(self, mic: str) -> list[Window]:
        """The windows of ``mic`` around now (built once)."""
        if mic not in self._windows:
            self._windows[mic] = windows(self.portfolio, mic, self.start, self.end)
        return self._windows[mic]

    def window_at(self, mic: str, moment: datetime) -> Window | None:
        """The window of ``mic`` holding ``moment``, or None (closed, or too near the open
        or the close)."""
        return next((w for w in self.windows(mic) if w.holds(moment)), None)

    def next_start(self, mics: Sequence[str], after: datetime) -> datetime | None:
        """The first window start of any of ``mics`` after ``after``."""
        starts = [w.start for m in mics for w in self.windows(m) if w.start > after]
        return min(starts, default=None)

    def latest_due(self) -> tuple[Period | None, Period | None]:
        """The latest period due by now and the one after it."""
        past = [p for p in self.periods if p.due_at <= self.now]
        future = [p for p in self.periods if p.due_at > self.now]
        return (past[-1] if past else None), (future[0] if future else None)


def decide(portfolio: Portfolio, records: Sequence[dict], now: datetime | None = None) -> Decision:
    """Whether a scheduled run is due at ``now`` (default: the clock), and if not, when.

    Args:
        portfolio: its ``[rebalancing]`` frequency, anchor and calendar, its ``[schedule]``
            and its assets' listings.
        records: the trade log's ``run_started`` and ``scheduled_run`` records, oldest first.
        now: a timezone-aware moment.

    Raises:
        ConfigError: ``minutes_after_open`` too late for a session (see :func:`windows`).
        DataError: no calendar for the listing's exchange.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    table = Timetable(portfolio, now)
    mic = table.calendar
    period, following = table.latest_due()
    upcoming = following.due_at if following else None
    if period is None:
        return Decision(False, "", "", "no period is due yet", upcoming, 0, mic)
    state = period_state(period.key, records)
    key, attempt = period.key, state.attempts + 1

    def not_due(reason: str, at: datetime | None = upcoming) -> Decision:
        return Decision(False, key, "", reason, at, attempt, mic)

    def next_period(reason: str) -> Decision:  # nothing pending: the next period is next
        after = following.key if following else ""
        return Decision(False, after, "", reason, upcoming, 1, mic)

    def due(kind: str, reason: str) -> Decision:
        return Decision(True, key, kind, reason, upcoming, attempt, mic)

    if state.state == "done":
        last = state.last or {}
        when = str(last.get("ts", ""))[:16].replace("T", " ")
        return next_period(f"{key} already ran ({last.get('outcome', '?')}, {when} UTC)")
    if state.state == "held":
        if any(table.window_at(m, now) for m in state.held_mics):
            return due("continue", f"{key}: orders held back earlier; their exchange is open")
        waiting = ", ".join(state.held_mics) or "their exchange"
        at = table.next_start(state.held_mics, now)
        return not_due(f"{key}: held orders wait for {waiting} to open", _first(at, upcoming))
    window = table.window_at(mic, now)
    if state.state in ("unfinished", "retry"):
        kind = "resume" if state.state == "unfinished" else "retry"
        if window:
            return due(kind, f"{key}: the last attempt did not finish; {kind} in this window")
        at = table.next_start([mic], now)
        return not_due(f"{key}: {kind} waits for {mic}'s next window", _first(at, upcoming))
    if window is not None and window.day == period.window.day:
        return due("on-time", f"{key} is due (anchor session {window.day})")
    catch_up = portfolio.schedule.catch_up and _active_before(period.due_at, records)
    if catch_up:
        if window is not None:
            return due("catch-up", f"{key} was missed on {period.window.day}; catching up")
        at = table.next_start([mic], now)
        return not_due(f"{key} was missed; its catch-up waits for {mic}", _first(at, upcoming))
    if _active_before(period.due_at, records):  # in place, and catch_up is off
        return next_period(
            f"{key} was missed (due {period.due_at:%Y-%m-%d %H:%M} UTC) and catch_up = false"
        )
    return next_period("no period is pending")  # the schedule began after the last due moment


def _first(a: datetime | None, b: datetime | None) -> datetime | None:
    return min((x for x in (a, b) if x is not None), default=None)


def upcoming(
    portfolio: Portfolio, records: Sequence[dict], count: int = 5, now: datetime | None = None
) -> list[tuple[str, datetime]]:
    """The next ``count`` due moments ``(period key, UTC moment)``: a pending catch-up,
    resume or continuation first, then the coming periods' due moments."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    decision = decide(portfolio, records, now)
    table = Timetable(portfolio, now)
    found: list[tuple[str, datetime]] = []
    if decision.due:
        found.append((decision.key, now))
    elif decision.next_at is not None and decision.key:
        later = [p for p in table.periods if p.due_at > now]
        if not later or decision.next_at < later[0].due_at:
            found.append((decision.key, decision.next_at))
    found += [(p.key, p.due_at) for p in table.periods if p.due_at > now]
    return found[:count]


def order_window(table: Timetable, asset: Asset, moment: datetime) -> tuple[str, str]:
    """``(mic, why not)``: whether an order for ``asset`` may leave at ``moment`` ("" when
    its exchange is in its window)."""
    try:
        mic = listing_calendar(asset)
    except DataError as exc:
        return "", f"{exc}: held back"
    if table.window_at(mic, moment) is not None:
        return mic, ""
    at = table.next_start([mic], moment)
    when = f"; it opens for orders at {at:%Y-%m-%d %H:%M} UTC" if at else ""
    return mic, f"{mic} is closed (or within its auction margins) now{when}"
