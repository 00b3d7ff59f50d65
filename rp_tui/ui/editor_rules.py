"""What the editor's cells hold and take: typed text to TOML values, values to cell text,
what each asset field takes, and whether a symbol can be priced in this session."""

from __future__ import annotations

from dataclasses import fields

from rp_tui.inputs.config_rules import CHOICES, RANGES
from rp_tui.inputs.portfolio import Asset, Portfolio, Rebalancing, Strategy
from rp_tui.services.session import OWN_HISTORY, Session

# The Python type of every rule key (keys are unique across the rule tables).
_KINDS: dict[str, type] = {
    **{f.name: type(f.default) for f in fields(Strategy)},
    **{f.name: type(f.default) for f in fields(Rebalancing)},
    "plan": str,
    "budget": float,
    "weight": float,
    "min": float,
    "max": float,
}
UPPER = {"symbol", "exchange", "primary_exchange", "currency", "calendar"}
OPTIONAL = {"primary_exchange", "asset_class", "budget", "weight", "min", "max", "calendar"}
ASSET_HINTS = {
    "symbol": "a ticker such as USMV or BRK.B (letters, digits, . and -)",
    "exchange": "an IBKR code such as SMART, ARCA, BATS, LSEETF or IBIS",
    "primary_exchange": "the listing's exchange when exchange is SMART (e.g. ARCA); empty = none",
    "currency": "the listing's currency code, such as USD or GBP",
    "asset_class": "a class name for [groups], such as equity or bonds; empty = none",
    **{key: f"{RANGES[f'assets.{key}'].hint}; empty = none" for key in ("budget", "weight")},
    "min": f"{RANGES['assets.min'].hint}; empty = 0",
    "max": f"{RANGES['assets.max'].hint}; empty = 1",
}
_RECORDS = {"strategy": Strategy, "rebalancing": Rebalancing}


def rule_choices(table: str, key: str) -> tuple[str, ...] | None:
    """The values a rule takes when they are a fixed set (``true`` / ``false`` for a switch)."""
    record = _RECORDS.get(table)
    default = next((f.default for f in fields(record) if f.name == key), None) if record else None
    if isinstance(default, bool):
        return ("true", "false")
    return CHOICES.get(f"{table}.{key}")


def rule_hint(table: str, key: str) -> str:
    """What a rule takes, in the words of the file's checks."""
    choices = rule_choices(table, key)
    if choices:
        return "one of " + ", ".join(choices)
    if key == "calendar":
        return (
            'an exchange MIC such as XNYS or XLON; "file" = the price file\'s dates; '
            "empty = the first asset's exchange"
        )
    rule = RANGES.get(f"{table}.{key}")
    return f"{rule.interval} ({rule.hint})" if rule else ""


_NEEDS = {"risk-budget": "budget", "fixed": "weight"}  # what a method needs on every asset


def needs_per_asset(method: str) -> str | None:
    """``"budget"`` (risk-budget) or ``"weight"`` (fixed): what ``method`` needs on every
    asset, so a new asset must come with one; ``None`` for the other methods."""
    return _NEEDS.get(method)


def parse_value(key: str, text: str):
    """What the user typed, as the TOML value for ``key`` (``None`` removes an optional key).
    Numbers may end in ``%`` (``2%`` = 0.02); switches take true / false.

    Raises:
        ValueError: not a number where one is needed (or not a whole one).
    """
    text = text.strip()
    kind = _KINDS.get(key, str)
    if not text:
        if key in OPTIONAL:
            return None
        if kind is not str:
            raise ValueError(f"{key} cannot be empty")
        return ""
    if kind is bool:
        word = text.lower()
        if word not in ("true", "false"):
            raise ValueError(f"{key} is true or false, got {text!r}")
        return word == "true"
    if kind in (int, float):
        try:
            number = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
        except ValueError:
            raise ValueError(f"{key} is a number, got {text!r}") from None
        if kind is int:
            if not number.is_integer():
                raise ValueError(f"{key} is a whole number, got {text!r}")
            return int(number)
        return number
    return text.upper() if key in UPPER else text


def show(value) -> str:
    """A value as a cell shows it: ``0.02``, ``true``, ``monthly``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)


def asset_cell(asset: Asset, key: str) -> str:
    """The text of one editor cell; defaults (min 0, max 1, no budget) show blank."""
    value = {"min": asset.min_weight, "max": asset.max_weight}.get(key, getattr(asset, key, ""))
    if value is None or (key, value) in (("min", 0.0), ("max", 1.0)):  # defaults: blank
        return ""
    return show(value)


def rule_text(portfolio: Portfolio, table: str, key: str) -> str:
    """The current value of ``[table] key`` as the rules table shows it."""
    value = portfolio.fee_plan if table == "fees" else getattr(getattr(portfolio, table), key)
    return show(value)


def price_problem(session: Session, broker_kind: str, symbol: str) -> str | None:
    """Why ``symbol`` cannot be priced in this session (and what the user can do about it
    from here), or ``None``. Brokers with their own history (IBKR, Alpaca) check the symbol
    themselves when the edit is applied."""
    if broker_kind in OWN_HISTORY and session.prices_path is None:
        return None
    universe = session.universe or session.history
    if not symbol or symbol in universe.symbols:
        return None
    return (
        f"no prices for {symbol} in this session ({universe.source}); pick one of "
        f"{', '.join(universe.symbols)}, or quit and start rp-tui --prices FILE with a CSV "
        f"holding {symbol}'s closes"
    )
