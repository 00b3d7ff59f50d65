"""Alpaca's market data and market hours: latest trades and quotes, daily bars adjusted for
splits and dividends (cached on disk per day), the market clock and the trading calendar.

Endpoints (docs.alpaca.markets, read 2026-12-01): ``GET /v2/stocks/snapshots`` (latest
trade, quote and daily bars per symbol), ``GET /v2/stocks/bars`` (``timeframe=1Day``,
``adjustment=all``), ``GET /v2/clock`` and ``GET /v2/calendar`` of the trading API.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from rp_tui.broker.base import Quote
from rp_tui.errors import BrokerError
from rp_tui.inputs.prices import PriceHistory

CACHE_ID = 0  # Alpaca has no contract id: the cache's folder names the feed instead


@dataclass(frozen=True)
class MarketClock:
    """Alpaca's market clock: ``is_open`` now, and the next open and close (ISO, UTC)."""

    timestamp: str
    is_open: bool
    next_open: str
    next_close: str


def _number(value) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return math.nan
    return x if math.isfinite(x) and x > 0 else math.nan


def _stamp(item) -> float:
    """``time.time()`` seconds of a trade's or quote's timestamp, NaN when none."""
    when = getattr(item, "timestamp", None)
    return when.timestamp() if isinstance(when, datetime) else math.nan


class MarketMixin:
    """Part of :class:`~rp_tui.broker.alpaca.AlpacaBroker`: prices and market hours.
    Uses ``link``, ``data``, ``trading``, ``settings``, ``assets``, ``history_cache`` and
    ``limits`` (a quote older than ``quote_ttl_seconds`` is ``frozen``)."""

    async def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """The latest quote and trade of each symbol (USD), from one snapshot request.

        ``Quote.received`` is the newer of the quote's and the trade's own timestamps, so a
        quote from a closed market is as old as it is (the price band's freshness check then
        refuses orders on it); ``kind`` is ``live``, or ``frozen`` when older than
        ``[safety] quote_ttl_seconds``. NaN where a field did not arrive.

        Raises:
            BrokerError: Alpaca unreachable or refusing (keys, data permissions).
        """
        from alpaca.data.requests import StockSnapshotRequest

        if not symbols:
            return {}
        request = StockSnapshotRequest(
            symbol_or_symbols=list(symbols), feed=self.settings.alpaca_feed
        )
        found = await self.link.call("reading quotes", self.data.get_stock_snapshot, request)
        now, out = time.time(), {}
        for symbol in symbols:
            snap = found.get(symbol)
            quote = getattr(snap, "latest_quote", None)
            trade = getattr(snap, "latest_trade", None)
            previous = getattr(snap, "previous_daily_bar", None)
            stamps = [s for s in (_stamp(quote), _stamp(trade)) if math.isfinite(s)]
            received = min(max(stamps), now) if stamps else 0.0
            fresh = now - received <= self.limits.quote_ttl_seconds
            out[symbol] = Quote(
                symbol,
                _number(getattr(quote, "bid_price", None)),
                _number(getattr(quote, "ask_price", None)),
                _number(getattr(trade, "price", None)),
                _number(getattr(previous, "close", None)),
                "live" if fresh else "frozen",
                received,
            )
        return out

    async def history(self, days: int) -> PriceHistory:
        """The last ``days`` daily closes of every asset, adjusted for splits and dividends
        (``adjustment=all``), dates aligned; served from the day's disk cache
        (``<data dir>/history/alpaca-<feed>/``) when it holds enough rows.

        Raises:
            BrokerError: a symbol without bars (named), or fewer common days than ``days``.
        """
        from alpaca.data.enums import Adjustment
        from alpaca.data.requests import StockBarsRequest
        from alpaca.data.timeframe import TimeFrame

        today = datetime.now(UTC).date()
        series: dict[str, dict[str, float]] = {}
        todo = []
        for asset in self.assets:
            rows = self.history_cache.load(asset.symbol, CACHE_ID, today)
            if rows is None or len(rows) < days:
                todo.append(asset.symbol)
            else:
                series[asset.symbol] = dict(rows)
        if todo:
            start = today - timedelta(days=math.ceil(days * 365 / 250) + 15)
            request = StockBarsRequest(
                symbol_or_symbols=todo,
                timeframe=TimeFrame.Day,
                start=datetime(start.year, start.month, start.day, tzinfo=UTC),
                adjustment=Adjustment.ALL,
                feed=self.settings.alpaca_feed,
            )
            bars = await self.link.call("reading daily bars", self.data.get_stock_bars, request)
            for symbol in todo:
                rows = [
                    (b.timestamp.date().isoformat(), float(b.close))
                    for b in bars.data.get(symbol, [])
                    if b.close and b.close > 0
                ]
                if not rows:
                    raise BrokerError(
                        f"Alpaca returned no daily bars for {symbol} ({self.settings.alpaca_feed} "
                        "feed); check the symbol in portfolio.toml"
                    )
                self.history_cache.save(symbol, CACHE_ID, today, rows)
                series[symbol] = dict(rows)
        common = sorted(set.intersection(*(set(s) for s in series.values())))[-days:]
        if len(common) < days:
            raise BrokerError(
                f"Alpaca history has only {len(common)} common days for {', '.join(series)}; "
                f"the lookback needs {days}: lower strategy.lookback or pass --prices"
            )
        closes = np.array([[series[a.symbol][d] for a in self.assets] for d in common])
        return PriceHistory(
            np.array(common, dtype="datetime64[D]"),
            tuple(a.symbol for a in self.assets),
            closes,
            f"Alpaca daily bars ({self.settings.alpaca_feed}, adjusted) via {self.link.where}",
        )

    async def clock(self) -> MarketClock:
        """Alpaca's market clock now.

        Raises:
            BrokerError: Alpaca unreachable or refusing.
        """
        found = await self.link.call("reading the market clock", self.trading.get_clock)
        return MarketClock(
            found.timestamp.isoformat(),
            bool(found.is_open),
            found.next_open.isoformat(),
            found.next_close.isoformat(),
        )

    async def market_days(self, start: date, end: date) -> tuple[date, ...]:
        """Trading days from ``start`` to ``end`` (inclusive) on Alpaca's calendar (early
        closes included, holidays left out).

        Raises:
            BrokerError: Alpaca unreachable or refusing.
        """
        from alpaca.trading.requests import GetCalendarRequest

        request = GetCalendarRequest(start=start, end=end)
        days = await self.link.call("reading the calendar", self.trading.get_calendar, request)
        return tuple(d.date for d in days)

    async def is_market_day(self, day: date | None = None) -> bool:
        """Whether ``day`` (default: today, New York's date) is a trading day."""
        from zoneinfo import ZoneInfo

        day = day or datetime.now(ZoneInfo("America/New_York")).date()
        return day in await self.market_days(day, day)
