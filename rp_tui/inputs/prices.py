"""Daily adjusted-close histories: the bundled data set or a user CSV, validated.

CSV format (that of the bundled file): first column ``Date`` in ISO form (``2022-12-28``),
then one column of adjusted closes per symbol. pandas is imported only when a file is read.
"""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from rp_tui.errors import DataError
from rp_tui.inputs.bundled_data import BUNDLED, BundledSet
from rp_tui.inputs.config_rules import show

_OFFSET = r"(Z|[+-]\d\d:?\d\d)$"


@dataclass(frozen=True)
class PriceHistory:
    """Adjusted closes.

    Attributes:
        dates: ``datetime64[D]``, shape ``(n_days,)``, strictly increasing.
        symbols: column names, ``(n_assets,)``.
        closes: shape ``(n_days, n_assets)``, finite and > 0, each in its listing currency.
        source: file the data came from (for messages).
        caveat: what a reader of returns from these prices must know ("" if nothing), e.g.
            "adjusted for splits, not distributions"; shown wherever returns are.
    """

    dates: np.ndarray
    symbols: tuple[str, ...]
    closes: np.ndarray
    source: str
    caveat: str = ""

    def select(self, symbols: tuple[str, ...]) -> PriceHistory:
        """Columns for ``symbols`` in that order.

        Raises:
            DataError: a symbol is not in the history (named, with the symbols it has).
        """
        missing = [s for s in symbols if s not in self.symbols]
        if missing:
            raise DataError(
                f"{self.source}: no prices for {', '.join(missing)} (it has "
                f"{', '.join(self.symbols)}); add a column or pass --prices with one"
            )
        index = [self.symbols.index(s) for s in symbols]
        return PriceHistory(
            self.dates, tuple(symbols), self.closes[:, index], self.source, self.caveat
        )

    def until(self, as_of: str | None) -> PriceHistory:
        """Rows on or before ``as_of`` (ISO date); ``None`` keeps everything.

        Raises:
            DataError: a malformed date, or no rows on or before it.
        """
        if as_of is None:
            return self
        try:
            day = np.datetime64(as_of, "D")
        except ValueError as exc:
            raise DataError(f"--as-of {as_of!r} is not an ISO date such as 2022-06-30") from exc
        keep = int(np.searchsorted(self.dates, day, side="right"))
        if keep == 0:
            raise DataError(f"{self.source}: no prices on or before {as_of}")
        return PriceHistory(
            self.dates[:keep], self.symbols, self.closes[:keep], self.source, self.caveat
        )

    @classmethod
    def empty(cls, symbols: tuple[str, ...], source: str) -> PriceHistory:
        """No rows: a portfolio whose prices come from the broker; ``source`` says why."""
        return cls(
            np.array([], dtype="datetime64[D]"), tuple(symbols), np.empty((0, len(symbols))), source
        )

    @property
    def as_of(self) -> str:
        """The last date, ISO form.

        Raises:
            DataError: the history has no rows.
        """
        if not len(self.dates):
            raise DataError(f"{self.source}: no prices")
        return str(self.dates[-1])


def load_prices(path: str | Path | None = None, bundled: BundledSet | None = None) -> PriceHistory:
    """Read a price CSV and validate it; without ``path``, the shipped set ``bundled``
    (default: the multi-asset demo set, :data:`rp_tui.inputs.bundled_data.BUNDLED`).

    Raises:
        DataError: unreadable or damaged file, no ``Date`` first column, a column without a
            name or two for the same symbol (``MTUM`` and ``mtum``), no rows, unparseable,
            mixed-offset or unsorted dates, or a missing / non-numeric / non-positive price
            (symbol, date and row named).
    """
    caveat = ""
    if path is None:
        bundled = bundled or BUNDLED[0]
        source, caveat = bundled.source, bundled.caveat
        raw = resources.files("rp_tui.data").joinpath(bundled.file).read_bytes()
    else:
        source = str(path)
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise DataError(f"{path}: cannot open price file: {exc.strerror or exc}") from exc
    header, rows = _read_table(_decompressed(raw, source), source)
    symbols = _symbols(header, source)
    day_values = _dates(rows[:, 0], source)
    closes = _closes(rows, header, day_values, source)
    return PriceHistory(day_values, symbols, closes, source, caveat)


def _decompressed(raw: bytes, source: str) -> bytes:
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(
            f"{source}: a damaged gzip file ({exc}); download it again or compress the CSV again"
        ) from None


def _plain_table(raw: bytes) -> np.ndarray | None:
    """A plain CSV (UTF-8, no quotes, no blank line, every row as wide as the header) as
    ``(n_rows, n_columns)`` strings, read without pandas (whose import is most of a short
    command's start-up); ``None`` for anything else, which pandas then reads and judges."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if '"' in text or "\r" in text:
        return None
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()
    if len(lines) < 2 or not all(lines):
        return None
    width = lines[0].count(",")
    if any(line.count(",") != width for line in lines):
        return None
    return np.array([line.split(",") for line in lines], dtype=object)


def _read_table(raw: bytes, source: str) -> tuple[list[str], np.ndarray]:
    """The header's cells and the rows below it (strings; short rows padded with "")."""
    table = _plain_table(raw)
    if table is None:
        table = _pandas_table(raw, source)
    header = [str(cell).strip() for cell in table[0]]
    if len(header) < 2 or header[0] != "Date":
        raise DataError(f"{source}: the first column must be 'Date', then one column per symbol")
    if len(table) < 2:
        raise DataError(f"{source}: a header but no rows of prices; add one row per day")
    return header, table[1:]


def _pandas_table(raw: bytes, source: str) -> np.ndarray:
    """Any CSV pandas reads, as strings (short rows padded with ""); else DataError."""
    import pandas as pd

    try:
        frame = pd.read_csv(
            io.BytesIO(raw),
            header=None,
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
        )
    except pd.errors.EmptyDataError:
        raise DataError(
            f"{source}: the file is empty; write a header such as Date,MTUM,QUAL and a row "
            "of prices per day"
        ) from None
    except UnicodeDecodeError:
        raise DataError(f"{source}: not text: save the prices as a UTF-8 CSV file") from None
    except (ValueError, OSError) as exc:
        raise DataError(
            f"{source}: not a readable CSV ({str(exc).strip()}); every row needs a Date and "
            "one price per header column"
        ) from None
    return frame.fillna("").to_numpy(dtype=object)


def _symbols(header: list[str], source: str) -> tuple[str, ...]:
    """The columns after Date as symbols; each named, each symbol once (case-blind)."""
    seen: dict[str, int] = {}
    for column, name in enumerate(header[1:], start=2):
        if not name:
            raise DataError(
                f"{source}: column {column} has no name; write its symbol in the header"
            )
        if not name.isprintable():
            raise DataError(
                f"{source}: column {column} is named {show(name)}; write a symbol such as MTUM"
            )
        symbol = name.upper()
        if symbol in seen:
            first = header[seen[symbol] - 1]
            raise DataError(
                f"{source}: columns {seen[symbol]} ({show(first)}) and {column} ({show(name)}) "
                f"are both {symbol}; keep one of them"
            )
        seen[symbol] = column
    return tuple(seen)


def _dates(cells: np.ndarray, source: str) -> np.ndarray:
    """The Date column as ``datetime64[D]`` (the date as written), strictly increasing."""
    plain = [str(cell).strip() for cell in cells]
    if all(len(day) == 10 for day in plain):  # the usual 2022-12-28: numpy parses it fastest
        try:
            return _increasing(np.array(plain, dtype="datetime64[D]"), source)
        except ValueError:
            pass  # found below, with its row
    import pandas as pd

    text = pd.Series(cells, dtype=object).astype(str).str.strip()
    try:
        dates = pd.to_datetime(text, format="ISO8601", errors="coerce")
    except (ValueError, TypeError, OverflowError):
        offsets = sorted(set(text.str.extract(_OFFSET, expand=False).fillna("none")))
        raise DataError(
            f"{source}: the Date column mixes UTC offsets ({', '.join(offsets[:4])}); write plain "
            "dates such as 2022-12-28, or give every date the same offset"
        ) from None
    if dates.isna().any():
        row = int(dates.isna().to_numpy().argmax())
        raise DataError(
            f"{source}: row {row + 2}: Date {show(text.iloc[row])} is not an ISO date "
            "such as 2022-12-28"
        )
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)  # the day as written, not as in UTC
    return _increasing(dates.to_numpy().astype("datetime64[D]"), source)


def _increasing(day_values: np.ndarray, source: str) -> np.ndarray:
    steps = np.diff(day_values) <= np.timedelta64(0, "D")
    if np.any(steps):
        row = int(np.argmax(steps)) + 1
        raise DataError(
            f"{source}: row {row + 2}: dates must be strictly increasing (sort, drop duplicates)"
        )
    return day_values


def _closes(rows: np.ndarray, header: list[str], days: np.ndarray, source: str) -> np.ndarray:
    """The prices, ``(n_days, n_symbols)``: finite and > 0, else the first bad cell named."""
    cells = rows[:, 1:]
    try:
        values = cells.astype(float)  # the usual all-numbers file, fast
    except (ValueError, TypeError, OverflowError):
        import pandas as pd

        values = pd.DataFrame(cells).apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        cell = str(cells[row, col]).strip()
        shown = show(cell) if cell else "empty"
        raise DataError(
            f"{source}: {header[col + 1]} has no valid price on {days[row]} "
            f"(row {row + 2}: {shown}); fill or remove that row"
        )
    return values
