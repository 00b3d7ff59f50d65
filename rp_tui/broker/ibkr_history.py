"""Daily history from IBKR for the covariance lookback: cached on disk, paced within limits.

IBKR's historical-data pacing (TWS API docs, "Historical Data Limitations", read 2026-11):
no more than 60 requests in any 10 minutes, and no identical request within 15 seconds;
error 162 reports a violation. Each symbol's adjusted closes are cached per trading day in
``<data dir>/history/<symbol>-<conId>.csv``, so a day's plans ask at most once per symbol.
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections import deque
from datetime import date
from pathlib import Path

from rp_tui.state.storage import atomic_write_text, data_dir

WINDOW_SECONDS = 600.0
MAX_REQUESTS_PER_WINDOW = 60
IDENTICAL_GAP_SECONDS = 15.0


class Pacer:
    """Waits as needed so historical requests stay within IBKR's pacing limits."""

    def __init__(self, clock=time.monotonic, sleep=asyncio.sleep):
        self._sent: deque[float] = deque()
        self._last_by_key: dict[str, float] = {}
        self._clock, self._sleep = clock, sleep

    async def wait(self, key: str) -> None:
        """Return when a request identified by ``key`` may be sent, and record it."""
        while True:
            now = self._clock()
            while self._sent and now - self._sent[0] >= WINDOW_SECONDS:
                self._sent.popleft()
            delay = 0.0
            if len(self._sent) >= MAX_REQUESTS_PER_WINDOW:
                delay = WINDOW_SECONDS - (now - self._sent[0])
            last = self._last_by_key.get(key)
            if last is not None:
                delay = max(delay, IDENTICAL_GAP_SECONDS - (now - last))
            if delay <= 0:
                self._sent.append(now)
                self._last_by_key[key] = now
                return
            await self._sleep(delay)


class HistoryCache:
    """Adjusted daily closes per contract, one CSV per symbol and conId.

    Args:
        root: folder; default ``<data dir>/history``.
    """

    def __init__(self, root: Path | None = None):
        self.root = root or data_dir() / "history"

    def _path(self, symbol: str, con_id: int) -> Path:
        return self.root / f"{symbol}-{con_id}.csv"

    def load(self, symbol: str, con_id: int, fetched_on: date) -> list[tuple[str, float]] | None:
        """The cached ``(ISO date, close)`` rows if they were fetched on ``fetched_on``."""
        path = self._path(symbol, con_id)
        if not path.exists():
            return None
        lines = path.read_text("utf-8").splitlines()
        if not lines or lines[0] != f"# fetched {fetched_on.isoformat()}":
            return None
        try:
            return [(d, float(c)) for d, c in csv.reader(lines[2:])]
        except ValueError:
            return None

    def save(self, symbol: str, con_id: int, fetched_on: date, rows) -> None:
        """Replace the cache for ``symbol`` atomically."""
        self.root.mkdir(parents=True, exist_ok=True)
        buffer = io.StringIO()
        buffer.write(f"# fetched {fetched_on.isoformat()}\ndate,close\n")
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        atomic_write_text(self._path(symbol, con_id), buffer.getvalue())
