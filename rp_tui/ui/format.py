"""Number formatting for tables: fixed decimals, thousands separators, explicit units.

Every helper returns plain ASCII text (no double-width or ambiguous-width glyphs) so
columns line up in any terminal; a missing or NaN value renders as ``n/a``.
"""

from __future__ import annotations

import math

MISSING = "n/a"


def _bad(value: float | None) -> bool:
    return value is None or not math.isfinite(value)


def money(value: float | None, currency: str = "", decimals: int = 2) -> str:
    """``12,345.67 USD`` (currency omitted when empty)."""
    if _bad(value):
        return MISSING
    text = f"{value:,.{decimals}f}"
    return f"{text} {currency}" if currency else text


def number(value: float | None, decimals: int = 2) -> str:
    """``1,234.56``: a plain number with thousands separators."""
    return money(value, "", decimals)


def quantity(value: float | None) -> str:
    """Shares: whole numbers without decimals (``1,250``), fractional ones with up to 4."""
    if _bad(value):
        return MISSING
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.4f}".rstrip("0")


def percent(fraction: float | None, decimals: int = 2, signed: bool = False) -> str:
    """A fraction as percent: ``0.1929`` -> ``19.29%`` (``+1.50%`` when ``signed``)."""
    if _bad(fraction):
        return MISSING
    sign = "+" if signed else ""
    return f"{fraction * 100:{sign}.{decimals}f}%"


def points(fraction: float | None, decimals: int = 2, signed: bool = True) -> str:
    """A difference of fractions in percentage points: ``0.0152`` -> ``+1.52 pp``
    (``1.52 pp`` when not ``signed``, e.g. for a band or a largest absolute drift)."""
    if _bad(fraction):
        return MISSING
    value = fraction * 100
    if round(value, decimals) == 0:  # no "-0.00 pp"
        value = 0.0
    sign = "+" if signed else ""
    return f"{value:{sign}.{decimals}f} pp"


def ratio(value: float | None, decimals: int = 2) -> str:
    """A dimensionless ratio such as Sharpe: ``0.61``."""
    if _bad(value):
        return MISSING
    return f"{value:.{decimals}f}"
