"""argparse types: each option's value checked as it is parsed, with the config's words.

Numbers take their range from :data:`rp_tui.inputs.config_rules.RANGES` (``--band`` has
the range of ``strategy.band``), so the command line and ``portfolio.toml`` accept the
same values. A refused value exits with status 2 and argparse's ``error: argument --band:
…`` naming the option. No heavy import: ``rp-tui --help`` builds the parser.
"""

from __future__ import annotations

import argparse
import math
import re
from datetime import date

from rp_tui.inputs.config_rules import RANGES, show

_SYMBOL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,11}$")
NAMED_BENCHMARKS = ("equal-weight", "buy-and-hold")


def _number(text: str, kind: type) -> float:
    try:
        return kind(text.strip())
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"{show(text)} is not {what}") from None


def ranged(rule: str, kind: type = float):
    """A number of ``kind`` within ``RANGES[rule]``."""
    limits = RANGES[rule]

    def parse(text: str):
        value = _number(text, kind)
        problem = limits.problem(value)
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its own messages
    return parse


def listed_ranged(rule: str, kind: type = float):
    """A comma-separated list of numbers, each within ``RANGES[rule]``."""
    one = ranged(rule, kind)

    def parse(text: str) -> tuple:
        values = tuple(one(v) for v in text.split(",") if v.strip())
        if not values:
            raise argparse.ArgumentTypeError(f"{show(text)} is not a comma-separated list")
        return values

    return parse


def listed(choices: tuple[str, ...]):
    """A comma-separated list of names, each one of ``choices``."""

    def parse(text: str) -> tuple[str, ...]:
        values = tuple(v.strip() for v in text.split(",") if v.strip())
        bad = [v for v in values if v not in choices]
        if bad or not values:
            raise argparse.ArgumentTypeError(
                f"{', '.join(bad) or show(text)}: choose from {', '.join(choices)}"
            )
        return values

    return parse


def iso_date(text: str) -> str:
    """A calendar date, returned in ISO form (``2022-06-30``)."""
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{show(text)} is not an ISO date such as 2022-06-30"
        ) from None


def benchmark(text: str) -> str:
    """``equal-weight``, ``buy-and-hold``, a symbol, or a mix ``SYM:0.6,SYM:0.4`` whose
    weights are > 0 and sum to 1."""
    name = text.strip()
    if name.lower() in NAMED_BENCHMARKS:
        return name.lower()
    parts = [part.strip() for part in name.split(",")]
    if len(parts) == 1 and ":" not in name:
        _symbol(name, name)
        return name
    total, seen = 0.0, set()
    for part in parts:
        symbol, colon, weight = part.partition(":")
        _symbol(symbol.strip(), name)
        if not colon:
            raise argparse.ArgumentTypeError(
                f"{name}: give every symbol of a mix its weight, e.g. MTUM:0.6,USMV:0.4"
            )
        if symbol.strip().upper() in seen:
            raise argparse.ArgumentTypeError(f"{name}: {symbol.strip()} is listed twice")
        seen.add(symbol.strip().upper())
        try:
            value = float(weight)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name}: {show(weight)} is not a weight such as 0.4"
            ) from None
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"{name}: weights must be > 0, got {show(weight)}")
        total += value
    if abs(total - 1.0) > 1e-6:
        raise argparse.ArgumentTypeError(
            f"{name}: the weights sum to {round(total, 9)}, not 1; e.g. MTUM:0.6,USMV:0.4"
        )
    return name


def _symbol(symbol: str, name: str) -> None:
    if not _SYMBOL.match(symbol):
        raise argparse.ArgumentTypeError(
            f"{show(name)}: {show(symbol)} is not a symbol; use {', '.join(NAMED_BENCHMARKS)}, "
            "a symbol of the price file, or a mix such as MTUM:0.6,USMV:0.4"
        )
