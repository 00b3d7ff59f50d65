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
import math
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from rp_tui.errors import BrokerError
from rp_tui.inputs.prices import PriceHistory
from rp_tui.state.storage import atomic_write_text, data_dir

WINDOW_SECONDS = 600.0
MAX_REQUESTS_PER_WINDOW = 60
IDENTICAL_GAP_SECONDS = 15.0

HistoryProgress = Callable[[int, int, str, str], None]
"""Told how a history download goes: ``(symbols done, symbols in all, symbol, note)``; the
note is ``"cached"``, ``"requesting"``, ``"waiting N s (IBKR pacing: …)"`` or ``"done"``."""


class Pacer:
    """Waits as needed so historical requests stay within IBKR's pacing limits."""

    def __init__(self, clock=time.monotonic, sleep=asyncio.sleep):
        self._sent: deque[float] = deque()
        self._last_by_key: dict[str, float] = {}
        self._clock, self._sleep = clock, sleep

    async def wait(self, key: str, on_wait: Callable[[float, str], None] | None = None) -> None:
        """Return when a request identified by ``key`` may be sent, and record it.

        ``on_wait(seconds, reason)`` is told before each pause (a progress display shows it
        as a pacing wait, not a hang).
        """
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
            if on_wait is not None:
                full = len(self._sent) >= MAX_REQUESTS_PER_WINDOW
                on_wait(
                    delay,
                    f"{MAX_REQUESTS_PER_WINDOW} requests per {WINDOW_SECONDS / 60:.0f} min"
                    if full
                    else f"no identical request within {IDENTICAL_GAP_SECONDS:.0f} s",
                )
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


class HistoryMixin:
    """Part of :class:`~rp_tui.broker.ibkr.IbkrBroker`: the lookback's daily closes.
    Uses ``ib``, ``assets``, ``contracts``, ``history_cache`` and ``pacer``; reports progress
    to ``history_progress`` (a :data:`HistoryProgress`) when the front end has set one."""

    history_progress: HistoryProgress | None = None

    async def history(self, days: int, progress: HistoryProgress | None = None) -> PriceHistory:
        """The last ``days`` adjusted daily closes of every asset, dates aligned.

        Served from the day's disk cache when present, else ``reqHistoricalDataAsync``
        (``ADJUSTED_LAST``, regular trading hours) paced within IBKR's limits. ``progress``
        (default ``history_progress``) hears of each symbol and of each pacing wait.

        Raises:
            BrokerError: no bars for a symbol (named), or pacing error 162 twice.
        """
        await self.connect()
        await self.qualify()
        today = datetime.now(UTC).date()
        series: dict[str, dict[str, float]] = {}
        report = progress or self.history_progress or (lambda *_: None)
        total = len(self.assets)
        for i, asset in enumerate(self.assets):
            contract = self.contracts[asset.symbol]
            rows = self.history_cache.load(asset.symbol, contract.conId, today)
            if rows is None or len(rows) < days:
                report(i, total, asset.symbol, "requesting")
                rows = await self._fetch_history(asset.symbol, contract, days, report, i, total)
                self.history_cache.save(asset.symbol, contract.conId, today, rows)
            else:
                report(i, total, asset.symbol, "cached")
            series[asset.symbol] = dict(rows)
        report(total, total, "", "done")
        common = sorted(set.intersection(*(set(s) for s in series.values())))[-days:]
        if len(common) < days:
            raise BrokerError(
                f"IBKR history has only {len(common)} common days for "
                f"{', '.join(series)}; the lookback needs {days}: lower strategy.lookback"
            )
        closes = np.array([[series[a.symbol][d] for a in self.assets] for d in common])
        return PriceHistory(
            np.array(common, dtype="datetime64[D]"),
            tuple(a.symbol for a in self.assets),
            closes,
            f"IBKR history via {self.address}",
        )

    async def _fetch_history(
        self, symbol: str, contract: Any, days: int, report=None, done: int = 0, total: int = 1
    ):
        years = max(1, math.ceil((days + 15) / 250))

        def waiting(seconds: float, why: str) -> None:
            if report is not None:
                report(done, total, symbol, f"waiting {seconds:.0f} s (IBKR pacing: {why})")

        for attempt in range(2):
            await self.pacer.wait(f"{contract.conId}:{years}Y", waiting)
            codes: list[int] = []

            def remember(req_id, code, message, failed=None, codes=codes) -> None:
                if failed is not None and getattr(failed, "conId", None) == contract.conId:
                    codes.append(code)

            self.ib.errorEvent += remember
            try:
                bars = await self.ask(
                    self.ib.reqHistoricalDataAsync(
                        contract,
                        endDateTime="",
                        durationStr=f"{years} Y",
                        barSizeSetting="1 day",
                        whatToShow="ADJUSTED_LAST",
                        useRTH=True,
                        formatDate=1,
                        timeout=60,
                    ),
                    f"downloading the history of {symbol}",
                )
            finally:
                self.ib.errorEvent -= remember
            rows = [(str(b.date)[:10], float(b.close)) for b in bars or [] if b.close > 0]
            if rows:
                return rows
            if 162 not in codes or attempt:
                break
            waiting(IDENTICAL_GAP_SECONDS, "error 162, backing off once")
            await asyncio.sleep(IDENTICAL_GAP_SECONDS)  # pacing violation: back off, once
        raise BrokerError(f"IBKR returned no daily history for {symbol}; check permissions")
