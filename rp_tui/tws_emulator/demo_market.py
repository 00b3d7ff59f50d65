"""The demo market: five factor ETFs, the demo holdings and their deterministic price history."""

from __future__ import annotations

import datetime as dt
import random

from .scenario_records import Bar

DEMO_ETFS = (
    # symbol, conId (made up), long name, last close
    ("MTUM", 700_001, "ISHARES MSCI USA MOMENTUM FA", 215.40),
    ("QUAL", 700_002, "ISHARES MSCI USA QUALITY FAC", 178.25),
    ("SIZE", 700_003, "ISHARES MSCI USA SIZE FACTOR", 148.10),
    ("USMV", 700_004, "ISHARES MSCI USA MIN VOL FAC", 91.35),
    ("VLUE", 700_005, "ISHARES MSCI USA VALUE FACTO", 112.60),
)
DEMO_HOLDINGS = {"MTUM": 60, "QUAL": 75, "SIZE": 40, "USMV": 150, "VLUE": 90}


def demo_history(symbol: str, last_close: float, end: dt.date, days: int = 520) -> list[Bar]:
    """Deterministic weekday bars ending at ``end`` (a seeded random walk)."""
    rng = random.Random(symbol)
    dates: list[dt.date] = []
    day = end
    while len(dates) < days:
        if day.weekday() < 5:
            dates.append(day)
        day -= dt.timedelta(days=1)
    dates.reverse()
    closes = [1.0]
    for _ in dates[1:]:
        closes.append(closes[-1] * (1 + rng.gauss(0.0003, 0.011)))
    scale = last_close / closes[-1]
    bars = []
    for date, c in zip(dates, closes, strict=True):
        close = round(c * scale, 2)
        spread = round(close * 0.006, 2)
        bars.append(
            Bar(
                date.strftime("%Y%m%d"),
                open=round(close - spread / 2, 2),
                high=round(close + spread, 2),
                low=round(close - spread, 2),
                close=close,
                volume=float(rng.randint(200_000, 2_000_000)),
            )
        )
    return bars
