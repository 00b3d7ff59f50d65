"""Seeded mutators of the shipped ``portfolio.toml`` and of the bundled price file, and the
checks that every mutant ends in the project's error or in a valid result.

Used by the test suite (a few hundred cases) and by ``benchmarks/fuzz_inputs.py`` (the full
counts). Each case is reproducible from its seed.
"""

from __future__ import annotations

import gzip
import random
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PORTFOLIO_TEXT = (REPO / "portfolio.toml").read_text(encoding="utf-8")
PRICE_LINES = (
    gzip.decompress((REPO / "rp_tui" / "data" / "factors_prices.csv.gz").read_bytes())
    .decode("utf-8")
    .splitlines()
)

HUGE_VALUES = (
    "9" * 400,
    "9" * 5000,
    "-" + "9" * 400,
    "0x" + "f" * 5000,
    "1e400",
    "-1e400",
    "1e308",
    "inf",
    "-inf",
    "+inf",
    "nan",
    "-nan",
    "0",
    "-0.0",
    "-1",
    "2147483648",
    "1e-320",
)
WRONG_TYPES = (
    '"x"',
    '""',
    "true",
    "false",
    "[1, 2]",
    "[]",
    "{a = 1}",
    "{min = 0.2, max = 0.1}",
    "2020-01-01",
    "07:32:00",
    '"ünïcødé ☃"',
    '"\\u0000"',
    '"' + "A" * 5000 + '"',
    "'''multi\nline'''",
)
UNKNOWN_KEYS = ("lookbak", "bnad", "price_bnd", "max_order_notionl", "foo", "symbl", "mn", "ü")
UNICODE = ("é", "☃", "\u0000", "\ufeff", "\u202e", "\ud7ff", "𝔘", "\t", "\r", "\\", '"', "'")


def _deep(rng: random.Random) -> str:
    n = rng.choice((10, 200, 999, 1000, 3000))
    return "[" * n + "]" * n if rng.random() < 0.7 else "{a = " * n + "1" + "}" * n


def mutate_config(rng: random.Random, text: str = PORTFOLIO_TEXT) -> str:
    """``text`` after 1-4 random edits: lines deleted / duplicated / swapped, values
    replaced by huge numbers, inf, nan, deep arrays, wrong types or unicode, unknown keys
    and tables inserted, headers misspelt, or the text truncated."""
    lines = text.splitlines()
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(10)
        i = rng.randrange(len(lines)) if lines else 0
        if not lines:
            lines = [""]
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[i])
        elif op == 2:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op in (3, 4, 5):  # replace a value
            keyed = [k for k, line in enumerate(lines) if "=" in line and not line.startswith("#")]
            if keyed:
                k = rng.choice(keyed)
                pool = rng.choice((HUGE_VALUES, WRONG_TYPES, ("DEEP",)))
                value = rng.choice(pool)
                value = _deep(rng) if value == "DEEP" else value
                lines[k] = lines[k].split("=", 1)[0] + "= " + value
        elif op == 6:  # an unknown key, or a known one in the wrong table
            name = rng.choice((*UNKNOWN_KEYS, "band", "symbol", "plan", "theme", "min"))
            value = rng.choice(("1", "0.5", '"x"', "inf"))
            lines.insert(i, f"{name} = {value}")
        elif op == 7:  # a table header: unknown, misspelt, or duplicated
            header = rng.choice(
                ("[rebalancng]", "[stratgy]", "[safety]", "[[assets]]", "[assets]", "[groups.x]")
            )
            lines.insert(i, header)
        elif op == 8:  # unicode somewhere
            line = lines[i]
            at = rng.randint(0, len(line))
            lines[i] = line[:at] + rng.choice(UNICODE) + line[at:]
        else:  # truncate
            joined = "\n".join(lines)
            return joined[: rng.randrange(len(joined) + 1)]
    return "\n".join(lines) + "\n"


def _price_rows(rng: random.Random) -> list[str]:
    start = rng.randrange(1, len(PRICE_LINES) - 400)
    return [PRICE_LINES[0], *PRICE_LINES[start : start + rng.choice((1, 5, 60, 300, 300))]]


def mutate_prices(rng: random.Random) -> bytes:
    """A price file made from rows of the bundled one after 0-3 random edits: truncation,
    bad dates, UTC offsets, NaN / negative / junk prices, duplicate or case-duplicate
    columns, ragged rows, no rows, binary junk; as CSV or gzip (sometimes damaged)."""
    lines = _price_rows(rng)
    for _ in range(rng.randint(0, 3)):
        if not lines:
            break
        op = rng.randrange(12)
        i = rng.randrange(1, len(lines)) if len(lines) > 1 else 0
        cells = lines[i].split(",")
        if op == 0:  # a bad date
            cells[0] = rng.choice(("2022-13-45", "", "yesterday", "12/28/2022", "0001-01-01"))
        elif op == 1:  # UTC offsets, on some rows or all
            offsets = ("+01:00", "-05:00", "Z", "+0530")
            every = rng.random() < 0.5
            for k in range(1, len(lines)):
                if every or rng.random() < 0.5:
                    date, _, rest = lines[k].partition(",")
                    lines[k] = f"{date}T00:00:00{rng.choice(offsets)},{rest}"
            cells = lines[i].split(",")
        elif op == 2:  # a bad price
            col = rng.randrange(1, len(cells)) if len(cells) > 1 else 0
            cells[col] = rng.choice(("nan", "", "-1", "0", "inf", "1e400", "abc", "NaN", " "))
        elif op == 3:  # a duplicate column, exact or in another case
            header = lines[0].split(",")
            name = rng.choice(header[1:] or ["MTUM"])
            lines[0] = ",".join([*header, rng.choice((name, name.lower()))])
            lines[1:] = [line + ",1.0" for line in lines[1:]]
            cells = lines[i].split(",")
        elif op == 4:  # ragged
            cells = cells[:-1] if rng.random() < 0.5 else [*cells, "1.0"]
        elif op == 5:  # unsorted or duplicated rows
            j = rng.randrange(1, len(lines)) if len(lines) > 1 else 0
            lines[i], lines[j] = lines[j], lines[i]
            if rng.random() < 0.5:
                lines.insert(i, lines[i])
            cells = lines[i].split(",")
        elif op == 6:  # header only, or nothing
            lines = lines[:1] if rng.random() < 0.7 else []
            cells = []
        elif op == 7:  # the header's Date renamed, or a column name emptied / unicode
            header = lines[0].split(",")
            k = rng.randrange(len(header))
            header[k] = rng.choice(("date", "", " Date", "Dätum", "\x00", "MTUM"))
            lines[0] = ",".join(header)
            cells = lines[i].split(",")
        elif op == 8:  # a BOM, CRLF or quotes
            lines[0] = rng.choice(("\ufeff", '"', "")) + lines[0]
        elif op == 9:  # binary junk inside
            cells.append(bytes(rng.randrange(256) for _ in range(8)).decode("latin-1"))
        elif op == 10:  # a date of the wrong kind
            cells[0] = rng.choice(("20221228", "2022-12", "2022", "2022-12-28 16:00", "1e5"))
        else:  # the whole file junk
            return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 400)))
        if cells and 0 < i < len(lines):
            lines[i] = ",".join(cells)
    newline = "\r\n" if rng.random() < 0.1 else "\n"
    raw = newline.join(lines).encode("utf-8", "surrogatepass") + b"\n"
    if rng.random() < 0.3:
        raw = raw[: rng.randrange(len(raw) + 1)]
    if rng.random() < 0.4:
        raw = gzip.compress(raw)
        if rng.random() < 0.3:  # damaged: truncated or a flipped byte
            if rng.random() < 0.5:
                raw = raw[: rng.randrange(2, len(raw))]
            else:
                k = rng.randrange(10, len(raw))
                raw = raw[:k] + bytes([raw[k] ^ 0xFF]) + raw[k + 1 :]
    return raw


@dataclass
class Tally:
    """Cases run and the unexpected exceptions met (type, message, seed, first frames)."""

    cases: int = 0
    refused: int = 0
    unexpected: list[tuple[str, str, int, str]] = field(default_factory=list)


def check_config(text: str) -> None:
    """What :func:`~rp_tui.services.session.open_session` does with a config, short of
    the prices: parse it, then find the fee schedule of each asset."""
    from rp_tui.inputs.fee_data import fee_table
    from rp_tui.inputs.portfolio_file import parse_portfolio

    portfolio = parse_portfolio(text, Path("fuzz.toml"))
    fee_table(portfolio.fee_plan, portfolio.assets)


def check_prices(path: Path) -> None:
    """Load a price file and use it as the commands do: last date, the configured symbols,
    a cut at a date, and target weights over 20 returns."""
    from rp_tui.inputs.fee_data import fee_table
    from rp_tui.inputs.portfolio_file import parse_portfolio
    from rp_tui.inputs.prices import load_prices
    from rp_tui.services.session import Session
    from rp_tui.services.targets import compute_targets

    history = load_prices(path)
    history.until(history.as_of)
    portfolio = parse_portfolio(PORTFOLIO_TEXT, REPO / "portfolio.toml")
    selected = history.select(portfolio.symbols)
    session = Session(portfolio, selected, fee_table(portfolio.fee_plan, portfolio.assets))
    compute_targets(session, lookback=20)


def run_cases(
    kind: str, count: int, seed: int, workdir: Path, expected: type, progress: Callable | None
) -> Tally:
    """``count`` seeded mutants of ``kind`` (``"config"`` or ``"prices"``); an exception
    other than ``expected`` is recorded with the seed that makes it again."""
    tally = Tally()
    for case in range(count):
        rng = random.Random(seed * 1_000_003 + case)
        try:
            if kind == "config":
                check_config(mutate_config(rng))
            else:
                path = workdir / f"fuzz-{case % 4}.csv"
                path.write_bytes(mutate_prices(rng))
                check_prices(path)
        except expected:
            tally.refused += 1
        except Exception as exc:
            frames = "".join(traceback.format_tb(exc.__traceback__)[-2:])
            tally.unexpected.append((type(exc).__name__, str(exc)[:200], case, frames))
        tally.cases += 1
        if progress:
            progress(case + 1)
    return tally
