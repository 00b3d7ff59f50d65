"""Effective-dated US regulatory fees (SEC Section 31, FINRA TAF, CAT) and IBKR pass-throughs.

Reads the ``[regulatory.<region>]`` series of ``rp_tui/data/fees.toml`` (already parsed, as a
dict): each series is a list of rows ``{from = ISO date, <value fields>, source,
confidence}``; a trade pays the row whose ``from`` is the last on or before the trade date.
Before a series' first row no history is known: the last row (today's) is used and the
result says so. Units: SEC USD per million of sale proceeds, TAF USD per share sold with a
USD cap per order, CAT USD per share, pass-throughs a fraction of the commission.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

DateLike = dt.date | np.datetime64 | str | None
"""A trade date: ``datetime.date``, ``numpy.datetime64``, ISO string, or ``None`` (today's)."""


def as_day(on: DateLike) -> np.datetime64 | None:
    """``on`` as ``datetime64[D]``; ``None`` stays ``None`` (the latest rates)."""
    return None if on is None else np.datetime64(on, "D")


@dataclass(frozen=True)
class RegulatoryRates:
    """The US regulatory fees and pass-throughs in force on one date.

    Attributes:
        sec_rate: SEC Section 31 fee, fraction of sale proceeds (USD 22.90/M = 0.0000229).
        taf_per_share, taf_maximum: FINRA TAF, USD per share sold and cap per order (USD).
        cat_per_share: CAT fee as IBKR lists it, USD per share bought or sold.
        nyse_pass_through, finra_pass_through: fractions of the Tiered commission.
        notes: unverified rows used and dates before the known history (strings).
        confidence: the weakest confidence of the rows used (V, S or U).
    """

    sec_rate: float = 0.0
    taf_per_share: float = 0.0
    taf_maximum: float = float("inf")
    cat_per_share: float = 0.0
    nyse_pass_through: float = 0.0
    finra_pass_through: float = 0.0
    notes: tuple[str, ...] = field(default=())
    confidence: str = "V"


_LABELS = {
    "sec": "SEC Section 31 fee",
    "taf": "FINRA TAF",
    "cat": "CAT fee",
    "pass_through_nyse": "NYSE pass-through",
    "pass_through_finra": "FINRA pass-through",
}


def _number(x: float) -> str:
    return f"{x:.7f}".rstrip("0").rstrip(".")


def _describe(series: str, row: dict) -> str:
    if series == "sec":
        return f"USD {row['per_million']:.2f}/M"
    if series == "taf":
        return f"USD {_number(row['per_share'])}/share sold, cap {row['maximum']:.2f}"
    if series == "cat":
        return f"USD {_number(row['per_share'])}/share"
    return f"{_number(row['rate'])} × commission"


def row_on(rows: list[dict], day: np.datetime64 | None) -> tuple[dict, bool]:
    """The row in force on ``day`` and whether history covers it (``False``: today's row)."""
    starts = np.array([np.datetime64(r["from"], "D") for r in rows])
    if day is None:
        return rows[-1], True
    i = int(np.searchsorted(starts, day, side="right")) - 1
    return (rows[i], True) if i >= 0 else (rows[-1], False)


def rates_on(region: dict, on: DateLike, series: Iterable[str] | None = None) -> RegulatoryRates:
    """The regulatory fees of ``region`` (e.g. ``data["regulatory"]["us"]``) on date ``on``.

    Args:
        region: ``{series: [rows]}`` with series ``sec``, ``taf``, ``cat``,
            ``pass_through_nyse``, ``pass_through_finra`` (any may be missing: 0).
        on: trade date; ``None`` for the latest rows (today's schedule).
        series: the series the schedule charges (``None``: all); others stay 0 and silent.

    Returns:
        A :class:`RegulatoryRates`; its notes name every unverified row used and every
        series whose history starts after ``on``.
    """
    day = as_day(on)
    used: dict[str, dict] = {}
    notes: list[str] = []
    weakest = "V"
    wanted = set(region) if series is None else set(series) & set(region)
    for name in sorted(wanted, key=list(region).index):
        rows = region[name]
        row, known = row_on(rows, day)
        used[name] = row
        label = _LABELS.get(name, name)
        if not known:
            notes.append(
                f"{label}: no history before {rows[0]['from']}; today's rate used "
                f"({_describe(name, row)})"
            )
        confidence = str(row.get("confidence", "U"))
        if confidence == "U":
            notes.append(f"{label} {_describe(name, row)} from {row['from']}: unverified")
        if "VSU".index(confidence) > "VSU".index(weakest):
            weakest = confidence
    sec, taf, cat = used.get("sec"), used.get("taf"), used.get("cat")
    nyse, finra = used.get("pass_through_nyse"), used.get("pass_through_finra")
    return RegulatoryRates(
        sec_rate=float(sec["per_million"]) / 1e6 if sec else 0.0,
        taf_per_share=float(taf["per_share"]) if taf else 0.0,
        taf_maximum=float(taf["maximum"]) if taf else float("inf"),
        cat_per_share=float(cat["per_share"]) if cat else 0.0,
        nyse_pass_through=float(nyse["rate"]) if nyse else 0.0,
        finra_pass_through=float(finra["rate"]) if finra else 0.0,
        notes=tuple(notes),
        confidence=weakest,
    )


def breakpoints(region: dict) -> np.ndarray:
    """Every date on which one of ``region``'s rates changes, sorted, ``datetime64[D]``."""
    days = {np.datetime64(r["from"], "D") for rows in region.values() for r in rows}
    return np.array(sorted(days), dtype="datetime64[D]")


def history_start(region: dict) -> np.datetime64:
    """The first date from which every series of ``region`` has a known rate."""
    return max(np.datetime64(rows[0]["from"], "D") for rows in region.values())


def charged_series(schedule_row: dict) -> tuple[str, ...]:
    """The regulatory series a schedule of ``fees.toml`` charges: SEC, TAF and CAT, plus
    its pass-throughs (``pass_through = ["nyse", "finra"]`` → ``pass_through_nyse`` …)."""
    passes = tuple(f"pass_through_{p}" for p in schedule_row.get("pass_through", ()))
    return ("sec", "taf", "cat", *passes)


def unverified_spans(
    region: dict, start: DateLike, end: DateLike, series: Iterable[str] | None = None
) -> list[str]:
    """Unverified (U) rows of ``series`` (``None``: all) in force at some time between
    ``start`` and ``end``, described."""
    lo, hi = as_day(start), as_day(end)
    spans = []
    for name, rows in region.items():
        if series is not None and name not in series:
            continue
        for i, row in enumerate(rows):
            if row.get("confidence", "U") != "U":
                continue
            begin = np.datetime64(row["from"], "D")
            stop = np.datetime64(rows[i + 1]["from"], "D") if i + 1 < len(rows) else None
            if (hi is None or begin <= hi) and (lo is None or stop is None or stop > lo):
                until = f" to {stop - 1}" if stop is not None else ""
                spans.append(
                    f"{_LABELS.get(name, name)} {_describe(name, row)} from {row['from']}{until}"
                )
    return spans
