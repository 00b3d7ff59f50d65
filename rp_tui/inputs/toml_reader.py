"""Typed reading of a TOML document whose every error names file, key and line, and the
number, nesting and length limits that keep a malformed file from crashing the parser."""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

from rp_tui.errors import ConfigError
from rp_tui.inputs.config_rules import CHOICES, RANGES, show

_KINDS = {
    bool: "true or false",
    int: "an integer",
    float: "a number",
    str: "a string in quotes",
    dict: "a table",
}
_HUGE_INT = re.compile(r"\d[\d_]{4299,}")  # past Python's int-from-text limit (4300 digits)


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _too_deep(text: str, limit: int = 100) -> int | None:
    """The first line where brackets nest deeper than ``limit``, if any."""
    depth = 0
    for number, line in enumerate(text.splitlines(), 1):
        for char in line:
            depth += (char in "[{") - (char in "]}")
            if depth > limit:
                return number
    return None


def locate(text: str, key: str) -> int | None:
    """1-based line of a dotted ``key`` (``strategy.band``, ``assets[1].symbol``) or of a
    table (``strategy``) in TOML text."""
    parts = key.replace("]", "").split(".")
    lines = text.splitlines()
    start, table, table_seen = 0, "", False
    if len(parts) > 1:
        table, _, index = parts[0].partition("[")
        header = re.compile(rf"^\s*\[\[?\s*{re.escape(table)}\s*\]\]?")
        hits = [i for i, line in enumerate(lines) if header.match(line)]
        nth = int(index) if index.isdigit() else 0
        if nth >= len(hits):
            return hits[-1] + 1 if hits else None
        start = hits[nth] + 1
    name = re.compile(rf"^\s*[\"']?{re.escape(parts[-1])}[\"']?\s*=")
    for i in range(start, len(lines)):
        if lines[i].lstrip().startswith("["):
            if table:
                break
            table_seen = True  # a top-level key sits above every table
            continue
        if name.match(lines[i]) and (table or not table_seen):
            return i + 1
    if not table:
        header = re.compile(rf"^\s*\[\[?\s*{re.escape(parts[-1])}\s*\]\]?")
        return next((i + 1 for i, line in enumerate(lines) if header.match(line)), None)
    return start or None


def _name(key: str) -> str:
    return key if key.isprintable() and len(key) <= 40 else show(key)


class TableReader:
    """Typed access to a parsed TOML document; every error carries file, key and line.

    Args:
        path: the file (for messages). text: its text (to find a key's line).
        keys: every key each table may hold (``""`` the top level), to say where a key
            written in the wrong table belongs.
    """

    def __init__(self, path: Path, text: str, keys: dict[str, tuple[str, ...] | None]):
        self.path, self.text, self.keys = path, text, keys

    def fail(self, key: str, message: str) -> ConfigError:
        """A :class:`ConfigError` for dotted ``key`` (its line looked up)."""
        return ConfigError(str(self.path), message, key=_name(key), line=locate(self.text, key))

    def check(self, key: str, value: Any, rule: str | None = None) -> Any:
        """``value`` if ``RANGES[rule or key]`` accepts it (floats: finite in any case)."""
        found = RANGES.get(rule or re.sub(r"\[\d+\]", "", key))
        problem = found.problem(value) if found else None
        if problem is None and isinstance(value, float) and not math.isfinite(value):
            problem = f"must be a finite number, got {show(value)}"
        if problem:
            raise self.fail(key, problem)
        return value

    def get(
        self, table: dict[str, Any], key: str, name: str, kind: type, default: Any, rules=True
    ) -> Any:
        """``table[name]`` (or ``default``) of type ``kind``; numbers checked against their
        range unless ``rules`` is false (the caller words the message)."""
        value = table.get(name, default)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            try:
                value = float(value)
            except OverflowError:
                raise self.fail(key, f"{show(value)} is too large for a number") from None
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(key, f"must be {_KINDS.get(kind, kind.__name__)}, got {show(value)}")
        return self.check(key, value) if rules and kind in (int, float) else value

    def choice(self, table: dict[str, Any], key: str, name: str, options: tuple, default: str):
        """``table[name]`` (or ``default``), one of ``options``."""
        value = self.get(table, key, name, str, default)
        if value not in options:
            raise self.fail(key, f"{show(value)} is not one of {', '.join(options)}")
        return value

    def table(self, data: dict[str, Any], name: str) -> dict[str, Any]:
        """``data[name]`` as a table (``{}`` when absent)."""
        value = data.get(name, {})
        if not isinstance(value, dict):
            raise self.fail(name, f"must be a table ([{name}])")
        return value

    def record(self, data: dict[str, Any], name: str, record: type) -> Any:
        """``[name]`` as ``record``: each field read with its default, type and rules."""
        table, values = self.table(data, name), {}
        for f in fields(record):
            key = f"{name}.{f.name}"
            if key in CHOICES:
                values[f.name] = self.choice(table, key, f.name, CHOICES[key], f.default)
            else:
                values[f.name] = self.get(table, key, f.name, type(f.default), f.default)
        return record(**values)

    def unknown(self, key: str, name: str, allowed: tuple[str, ...], is_table: bool) -> ConfigError:
        """The error for a key or table not in ``allowed``: the nearest valid name, or the
        table the key belongs in."""
        close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        where = key.rpartition(".")[0] or "the top level"
        what = "table" if is_table else "key"
        fix = f"did you mean {close[0]}?" if close else f"{where} takes {', '.join(allowed)}"
        home = [t for t, ks in self.keys.items() if t and ks and name in ks and t != where]
        if home and not is_table:
            fix = f"{name} belongs in [{home[0]}]"
        return self.fail(key, f"unknown {what} {show(name)}; {fix}")


def loads(text: str, path: Path) -> dict[str, Any]:
    """Parse TOML ``text``; a malformed file, a 4300-digit number or deep nesting is a
    :class:`ConfigError` naming the file (and line where known)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"is not valid TOML: {exc}") from exc
    except ValueError as exc:  # an integer past Python's 4300-digit limit
        huge = _HUGE_INT.search(text)
        if huge is None:
            raise ConfigError(str(path), f"is not valid TOML: {exc}") from exc
        raise ConfigError(
            str(path),
            "holds a number of more than 4300 digits; write a value of sensible size",
            line=_line_at(text, huge.start()),
        ) from None
    except RecursionError:
        raise ConfigError(
            str(path),
            "nests arrays or tables too deeply to read; "
            "no key of portfolio.toml needs more than two levels",
            line=_too_deep(text),
        ) from None
