"""Request handlers for historical bars: reqHistoricalData, cut to its end date and duration."""

from __future__ import annotations

import datetime as dt

from . import messages as msg
from .protocol import ERROR_TEXT
from .requests import HistoricalRequest
from .scenario_records import Bar

_DURATION_DAYS = {"S": 1 / 86_400, "D": 1, "W": 7, "M": 31, "Y": 366}


class HistoryHandlers:
    """``Session`` mixin: historical data.

    The session provides ``emu``, ``send`` and ``_instruments``.
    """

    def _req_historical_data(self, fields: list[str]) -> None:
        req = HistoricalRequest.parse(fields)
        found = self._instruments(req.contract)
        if len(found) != 1:
            self.send(msg.error(req.req_id, 200, ERROR_TEXT[200]))
            return
        bars = _select_bars(self.emu.scenario.bars.get(found[0].symbol, []), req)
        if not bars:
            text = "Historical Market Data Service error message:HMDS query returned no data"
            self.send(msg.error(req.req_id, 162, text))
            return
        self.send(msg.historical_data(req.req_id, bars, bars[0].date, bars[-1].date))


def _select_bars(bars: list[Bar], req: HistoricalRequest) -> list[Bar]:
    """Bars up to the request's end date and within its duration ("N S|D|W|M|Y")."""
    end = req.end[:8] if req.end[:8].isdigit() else None
    kept = [b for b in bars if end is None or b.date[:8] <= end]
    try:
        count, unit = req.duration.split()
        days = max(1, int(int(count) * _DURATION_DAYS[unit.upper()[0]]))
    except (ValueError, KeyError):
        return kept
    if not kept:
        return kept
    last = dt.datetime.strptime(kept[-1].date[:8], "%Y%m%d").date()
    first = (last - dt.timedelta(days=days)).strftime("%Y%m%d")
    return [b for b in kept if b.date[:8] > first]
