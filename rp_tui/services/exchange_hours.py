"""Exchange session hours (open, close, early closes) from ``exchange_calendars``, for scheduled
runs: when a run is due and whether a listing's exchange is open for an order now.

Times are timezone-aware UTC ``datetime``s; the exchange's own zone comes with them for
display. Calendars are built once per MIC and year range in a process (~0.1 s each).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from rp_tui.errors import DataError


@dataclass(frozen=True)
class TradingSession:
    """One trading day of exchange ``mic``: ``open`` and ``close`` (UTC), ``early_close``
    when the exchange closes before its usual time (half days before holidays)."""

    mic: str
    day: date
    open: datetime
    close: datetime
    early_close: bool = False


def sessions_between(mic: str, start: date, end: date) -> tuple[TradingSession, ...]:
    """The sessions of exchange ``mic`` from ``start`` to ``end`` inclusive, in order.

    Holidays are absent; early closes carry their short hours. Source: the
    ``exchange_calendars`` package (ISO 10383 MICs such as ``XNYS``, ``XLON``).

    Raises:
        DataError: an unknown MIC, or dates outside what the calendar covers.
    """
    every = _sessions(mic, start.year - 1, end.year + 1)
    return tuple(s for s in every if start <= s.day <= end)


def exchange_zone(mic: str) -> ZoneInfo:
    """The exchange's time zone (``America/New_York`` for XNYS).

    Raises:
        DataError: an unknown MIC.
    """
    return ZoneInfo(str(_calendar(mic, date.today().year, date.today().year).tz))


@cache
def _sessions(mic: str, first_year: int, last_year: int) -> tuple[TradingSession, ...]:
    calendar = _calendar(mic, first_year, last_year)
    early = {d.date() for d in calendar.early_closes}
    return tuple(
        TradingSession(
            mic,
            day.date(),
            row.open.to_pydatetime().astimezone(UTC),
            row.close.to_pydatetime().astimezone(UTC),
            day.date() in early,
        )
        for day, row in calendar.schedule.iterrows()
    )


@cache
def _calendar(mic: str, first_year: int, last_year: int):
    import exchange_calendars as xcals

    try:
        with warnings.catch_warnings():  # exchange_calendars' own pandas deprecations
            warnings.simplefilter("ignore", category=FutureWarning)
            warnings.simplefilter("ignore", category=DeprecationWarning)
            return xcals.get_calendar(mic, start=f"{first_year}-01-01", end=f"{last_year}-12-31")
    except (xcals.errors.InvalidCalendarName, ValueError) as exc:
        raise DataError(f"trading calendar {mic!r}: {exc}; use a MIC such as XNYS or XLON") from exc


def describe(moment: datetime, mic: str) -> str:
    """``moment`` in the exchange's time, e.g. ``2026-11-30 10:00 EST (XNYS)``."""
    local = moment.astimezone(exchange_zone(mic))
    return f"{local:%Y-%m-%d %H:%M %Z} ({mic})"


def local_time(moment: datetime) -> str:
    """``moment`` in this machine's time zone, e.g. ``2026-11-30 16:00 CET``."""
    return f"{moment.astimezone():%Y-%m-%d %H:%M %Z}"
