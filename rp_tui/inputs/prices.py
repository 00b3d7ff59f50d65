"""Daily adjusted-close histories: the bundled data set or a user CSV, validated.

CSV format (that of the bundled file): first column ``Date`` in ISO form (``2022-12-28``),
then one column of adjusted closes per symbol. pandas is imported only when a file is read.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from rp_tui.errors import DataError

BUNDLED_NAME = "factors_prices.csv.gz"
BUNDLED_SOURCE = (
    "iShares MTUM, QUAL, SIZE, USMV, VLUE adjusted closes 2014-01-02..2022-12-28, from "
    "skfolio's factors_dataset (BSD-3-Clause, see rp_tui/data/LICENSE-skfolio)"
)


@dataclass(frozen=True)
class PriceHistory:
    """Adjusted closes.

    Attributes:
        dates: ``datetime64[D]``, shape ``(n_days,)``, strictly increasing.
        symbols: column names, ``(n_assets,)``.
        closes: shape ``(n_days, n_assets)``, finite and > 0, each in its listing currency.
        source: file the data came from (for messages).
    """

    dates: np.ndarray
    symbols: tuple[str, ...]
    closes: np.ndarray
    source: str

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
        return PriceHistory(self.dates, tuple(symbols), self.closes[:, index], self.source)

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
        return PriceHistory(self.dates[:keep], self.symbols, self.closes[:keep], self.source)

    @classmethod
    def empty(cls, symbols: tuple[str, ...], source: str) -> PriceHistory:
        """No rows: a portfolio whose prices come from the broker; ``source`` says why."""
        return cls(
            np.array([], dtype="datetime64[D]"), tuple(symbols), np.empty((0, len(symbols))), source
        )

    @property
    def as_of(self) -> str:
        """The last date, ISO form."""
        return str(self.dates[-1])


def load_prices(path: str | Path | None = None) -> PriceHistory:
    """Read a price CSV (``None``: the bundled factor-ETF history) and validate it.

    Raises:
        DataError: unreadable file, no ``Date`` first column, unparseable or unsorted dates,
            or a missing / non-numeric / non-positive price (symbol, date and row named).
    """
    import pandas as pd

    if path is None:
        source = f"bundled {BUNDLED_NAME}"
        raw = resources.files("rp_tui.data").joinpath(BUNDLED_NAME).read_bytes()
    else:
        source = str(path)
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise DataError(f"{path}: cannot open price file: {exc.strerror}") from exc
    compression = "gzip" if raw[:2] == b"\x1f\x8b" else None
    try:
        frame = pd.read_csv(io.BytesIO(raw), compression=compression)
    except (ValueError, UnicodeDecodeError, OSError) as exc:
        raise DataError(f"{source}: not a readable CSV: {exc}") from exc
    if frame.shape[1] < 2 or frame.columns[0] != "Date":
        raise DataError(f"{source}: the first column must be 'Date', then one column per symbol")
    dates = pd.to_datetime(frame["Date"], format="ISO8601", errors="coerce")
    if dates.isna().any():
        row = int(dates.isna().to_numpy().argmax())
        raise DataError(
            f"{source}: row {row + 2}: Date {frame['Date'].iloc[row]!r} is not an ISO date"
        )
    day_values = dates.to_numpy().astype("datetime64[D]")
    if np.any(np.diff(day_values) <= np.timedelta64(0, "D")):
        row = int(np.argmax(np.diff(day_values) <= np.timedelta64(0, "D"))) + 1
        raise DataError(
            f"{source}: row {row + 2}: dates must be strictly increasing (sort, drop duplicates)"
        )
    values = frame.iloc[:, 1:].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise DataError(
            f"{source}: {frame.columns[col + 1]} has no valid price on {day_values[row]} "
            f"(row {row + 2}: {frame.iat[row, col + 1]!r}); fill or remove that row"
        )
    symbols = tuple(str(c).strip().upper() for c in frame.columns[1:])
    return PriceHistory(day_values, symbols, values, source)
