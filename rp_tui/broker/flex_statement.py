"""An IBKR Flex Query report read into positions, cash per currency and exchange rates.

Two layouts, told apart by their first character: XML (parsed with ``ibflex``) and the CSV a
Flex Query produces, with or without its header and trailer records (``BOF``/``BOS``/…
lines, ``HEADER``/``DATA`` line descriptors); a CSV section is recognised by its columns.
The query needs the sections Open Positions (Summary), Cash Report (Currency Breakdown),
and, for more than one currency, Conversion Rates; Account Information gives the base
currency. Flex Queries: ibkrguides.com/clientportal/performanceandstatements/flex.htm
(read 2026-12-01).
"""

from __future__ import annotations

import csv
import io
import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rp_tui.errors import DataError

BASE_SUMMARY = "BASE_SUMMARY"


@dataclass(frozen=True)
class FlexPosition:
    """One open position of the statement (Open Positions, summary level).

    Attributes:
        symbol: ticker. quantity: shares (negative when short).
        mark_price: the statement's closing mark, listing currency; NaN when absent.
        cost_price: average cost per share (``costBasisPrice``), listing currency.
        currency: listing currency. exchange: listing exchange ("" when absent).
        con_id: IBKR contract id (0 when absent). category: ``STK``, ``OPT``… ("" absent).
    """

    symbol: str
    quantity: float
    mark_price: float
    cost_price: float
    currency: str
    exchange: str = ""
    con_id: int = 0
    category: str = ""


@dataclass(frozen=True)
class FlexStatement:
    """What rp-tui takes from a Flex report.

    Attributes:
        account: the account id. base_currency: "" when the report does not say.
        as_of: ISO date of the statement (its end date); "" when unknown.
        positions: open positions, summary level.
        cash: ending cash per currency, each in its own currency (``BASE_SUMMARY`` left out).
        base_cash: the base-currency total (``BASE_SUMMARY``), NaN when absent.
        fx: base currency per unit of each currency the report gives a rate for.
        source: where it came from (file name or the Web Service query), for messages.
    """

    account: str
    base_currency: str
    as_of: str
    positions: tuple[FlexPosition, ...]
    cash: dict[str, float]
    base_cash: float = math.nan
    fx: dict[str, float] = field(default_factory=dict)
    source: str = ""


def _num(value, default: float = math.nan) -> float:
    if value is None or value == "":
        return default
    try:
        x = float(str(value).replace(",", ""))
    except ValueError:
        return default
    return x if math.isfinite(x) else default


def _day(value) -> str:
    """An ISO date from ``yyyymmdd``, ``yyyy-mm-dd`` or a date object; "" when none."""
    text = str(value or "").strip().split(";")[0].split(",")[0].split(" ")[0]
    if len(text) == 8 and text.isdigit():
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    return text[:10] if len(text) >= 10 and text[4] == "-" else ""


def _missing(source: str, section: str, setting: str) -> DataError:
    return DataError(
        f"{source}: the Flex report has no {section} section; add {section} ({setting}) to "
        "the Flex Query in Client Portal > Performance & Reports > Flex Queries"
    )


def parse_flex(data: bytes, source: str, account: str = "") -> FlexStatement:
    """Read a Flex report (XML or CSV bytes).

    Args:
        data: the report as downloaded or saved.
        source: its name for messages (a file path, ``Flex query 123``).
        account: the account to take when the report holds several ("" = the only one).

    Raises:
        DataError: not a Flex report, malformed, several accounts and none chosen, or the
            Open Positions or Cash Report section missing; names ``source`` and the fix.
    """
    head = data.lstrip()[:1]
    if head == b"<":
        return _from_xml(data, source, account)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{source}: not a Flex report (neither XML nor UTF-8 CSV)") from exc
    return _from_csv(text, source, account)


def read_flex_file(path: str | Path, account: str = "") -> FlexStatement:
    """:func:`parse_flex` of a file.

    Raises:
        DataError: the file cannot be read (named) or is not a usable Flex report.
    """
    path = Path(path).expanduser()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(
            f"{path}: cannot read the Flex report ({exc.strerror or exc}); fix [broker] flex_file"
        ) from exc
    return parse_flex(data, str(path), account)


def _pick(accounts: list[str], account: str, source: str) -> str:
    if account:
        if account not in accounts:
            raise DataError(
                f"{source}: account {account} is not in the report ({', '.join(accounts)}); "
                "fix [broker] account"
            )
        return account
    if len(set(accounts)) > 1:
        raise DataError(
            f"{source}: the report holds {', '.join(accounts)}: set [broker] account to one"
        )
    return accounts[0]


def _from_xml(data: bytes, source: str, account: str) -> FlexStatement:
    import xml.etree.ElementTree as ET

    from ibflex import parser

    try:
        root = ET.fromstring(data)
        with warnings.catch_warnings():  # attributes newer than ibflex are skipped
            warnings.simplefilter("ignore")
            response = parser.parse(data)
    except (ET.ParseError, parser.FlexParserError, ValueError) as exc:
        raise DataError(f"{source}: not a readable Flex XML report ({exc})") from exc
    statements = list(response.FlexStatements)
    if not statements:
        raise DataError(f"{source}: the Flex report holds no statement")
    chosen = _pick([s.accountId for s in statements], account, source)
    stmt = next(s for s in statements if s.accountId == chosen)
    node = next(e for e in root.iter("FlexStatement") if e.get("accountId") == chosen)
    if node.find("OpenPositions") is None:
        raise _missing(source, "Open Positions", "Summary level")
    if node.find("CashReport") is None:
        raise _missing(source, "Cash Report", "Currency Breakdown")
    info = stmt.AccountInformation
    base = str(getattr(info, "currency", "") or "")
    positions = tuple(
        FlexPosition(
            symbol=str(p.symbol or ""),
            quantity=_num(p.position, 0.0),
            mark_price=_num(p.markPrice),
            cost_price=_num(p.costBasisPrice),
            currency=str(p.currency or base),
            exchange=str(p.listingExchange or ""),
            con_id=int(p.conid) if str(p.conid or "").isdigit() else 0,
            category=str(getattr(p.assetCategory, "name", p.assetCategory) or ""),
        )
        for p in stmt.OpenPositions
        if (p.levelOfDetail or "SUMMARY").upper() == "SUMMARY" and _num(p.position, 0.0)
    )
    cash = {
        str(c.currency): _num(c.endingCash, 0.0)
        for c in stmt.CashReport
        if c.currency and c.currency != BASE_SUMMARY
    }
    base_cash = next(
        (_num(c.endingCash) for c in stmt.CashReport if c.currency == BASE_SUMMARY), math.nan
    )
    fx = _rates(((r.fromCurrency, r.toCurrency, r.rate) for r in stmt.ConversionRates), base)
    for p in stmt.OpenPositions:
        if p.currency and p.currency != base and p.fxRateToBase:
            fx.setdefault(str(p.currency), _num(p.fxRateToBase))
    as_of = _day(stmt.toDate) or _day(stmt.whenGenerated)
    return FlexStatement(chosen, base, as_of, positions, cash, base_cash, fx, source)


def _rates(rows: Iterable[tuple], base: str) -> dict[str, float]:
    """Base currency per unit, from ``(from, to, rate)`` rows whose ``to`` is ``base``."""
    fx = {}
    for source, target, rate in rows:
        value = _num(rate)
        if source and value > 0 and (not base or str(target) == base):
            fx[str(source)] = value
    return fx


_ALIASES = {
    "account": ("clientaccountid", "accountid"),
    "currency": ("currencyprimary", "currency"),
    "symbol": ("symbol",),
    "quantity": ("position", "quantity"),
    "mark": ("markprice",),
    "cost": ("costbasisprice",),
    "exchange": ("listingexchange",),
    "conid": ("conid",),
    "category": ("assetclass", "assetcategory"),
    "level": ("levelofdetail",),
    "ending": ("endingcash",),
    "from": ("fromcurrency",),
    "to": ("tocurrency",),
    "rate": ("rate",),
    "date": ("reportdate", "todate"),
    "type": ("accounttype",),
}


def _norm(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


# Column names of Flex sections: a CSV row holding two of them is a section's header row
_COLUMNS = frozenset(
    {a for aliases in _ALIASES.values() for a in aliases}
    | {"fromdate", "description", "name", "tradedate", "tradeprice", "buysell", "isin"}
)


def _kind(columns: list[str]) -> str:
    """Which section a CSV header row starts: ``positions``, ``cash``, ``rates``,
    ``account``, ``other`` (a section rp-tui does not read); "" when not a header."""
    names = set(columns)
    if len(names & _COLUMNS) < 2:
        return ""
    if "symbol" in names and names & {"position", "quantity"} and "markprice" in names:
        return "positions"
    if "endingcash" in names:
        return "cash"
    if {"fromcurrency", "tocurrency", "rate"} <= names:
        return "rates"
    if "accounttype" in names or ("currencyprimary" in names and "name" in names):
        return "account"
    return "other"


def _sections(text: str) -> tuple[dict[str, list[dict[str, str]]], str]:
    """Rows of each recognised section (columns normalised), and the BOF end date."""
    sections: dict[str, list[dict[str, str]]] = {}
    columns: list[str] = []
    kind, bof_date = "", ""
    for row in csv.reader(io.StringIO(text)):
        if not row or not any(cell.strip() for cell in row):
            continue
        tag = row[0].strip().upper()
        if tag in ("BOF", "BOA", "BOS", "EOS", "EOA", "EOF"):
            if tag == "BOF" and len(row) > 5:
                bof_date = _day(row[5])
            continue
        if tag in ("HEADER", "DATA") and len(row) > 2:
            row = row[2:]
        normalised = [_norm(c) for c in row]
        found = _kind(normalised)
        if found and tag != "DATA":
            kind, columns = found, normalised
            sections.setdefault(kind, [])
            continue
        if kind and len(row) >= len(columns):
            sections[kind].append(dict(zip(columns, (c.strip() for c in row), strict=False)))
    return sections, bof_date


def _get(row: dict[str, str], key: str) -> str:
    return next((row[a] for a in _ALIASES[key] if row.get(a)), "")


def _from_csv(text: str, source: str, account: str) -> FlexStatement:
    sections, bof_date = _sections(text)
    sections.pop("other", None)
    if not sections:
        raise DataError(
            f"{source}: not a Flex report (no Open Positions, Cash Report or Account "
            "Information header found)"
        )
    if "positions" not in sections:
        raise _missing(source, "Open Positions", "Summary level")
    if "cash" not in sections:
        raise _missing(source, "Cash Report", "Currency Breakdown")
    accounts = [_get(r, "account") for rows in sections.values() for r in rows]
    accounts = [a for a in dict.fromkeys(accounts) if a]
    chosen = _pick(accounts, account, source) if accounts else account

    def mine(kind: str) -> list[dict[str, str]]:
        return [r for r in sections.get(kind, []) if _get(r, "account") in ("", chosen)]

    info = mine("account")
    base = _get(info[0], "currency") if info else ""
    positions = tuple(
        FlexPosition(
            symbol=_get(r, "symbol"),
            quantity=_num(_get(r, "quantity"), 0.0),
            mark_price=_num(_get(r, "mark")),
            cost_price=_num(_get(r, "cost")),
            currency=_get(r, "currency") or base,
            exchange=_get(r, "exchange"),
            con_id=int(_get(r, "conid")) if _get(r, "conid").isdigit() else 0,
            category=_get(r, "category"),
        )
        for r in mine("positions")
        if (_get(r, "level") or "SUMMARY").upper() == "SUMMARY" and _num(_get(r, "quantity"), 0.0)
    )
    cash_rows = mine("cash")
    cash = {
        _get(r, "currency"): _num(_get(r, "ending"), 0.0)
        for r in cash_rows
        if _get(r, "currency") and _get(r, "currency") != BASE_SUMMARY
    }
    base_cash = next(
        (_num(_get(r, "ending")) for r in cash_rows if _get(r, "currency") == BASE_SUMMARY),
        math.nan,
    )
    fx = _rates(((_get(r, "from"), _get(r, "to"), _get(r, "rate")) for r in mine("rates")), base)
    dates = [_day(_get(r, "date")) for rows in sections.values() for r in rows]
    as_of = max([d for d in dates if d] or [bof_date])
    return FlexStatement(chosen, base, as_of, positions, cash, base_cash, fx, source)
