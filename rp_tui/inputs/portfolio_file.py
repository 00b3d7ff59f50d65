"""Read and validate ``portfolio.toml`` (``tomllib``); every error names file, key and line.

What the file may hold is declared once, here and in :mod:`rp_tui.inputs.config_rules`:

- :data:`RECORDS`: the tables whose keys are the fields of a record (``[strategy]`` ->
  :class:`Strategy`); each key is read with the field's type and default and checked
  against ``RANGES`` / ``CHOICES``. A new table of that kind is one line here (and its
  numbers' ranges there);
- :data:`KEYS`: every key each table may hold, derived from the records; a key or table
  not in it is refused with the nearest valid name ("did you mean lookback?").
"""

from __future__ import annotations

import re
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from rp_tui.domain.constraints import InfeasibleError
from rp_tui.domain.names import EXCHANGES
from rp_tui.domain.safety import SafetyLimits
from rp_tui.errors import ConfigError
from rp_tui.inputs.config_rules import CHOICES, MOVED, RANGES, show
from rp_tui.inputs.portfolio import (
    Asset,
    BrokerSettings,
    Execution,
    Portfolio,
    Rebalancing,
    Schedule,
    Strategy,
)
from rp_tui.inputs.toml_reader import TableReader, loads

# A ticker: letters, digits, "." and "-" with a letter in it (BRK.B, 2B7K), or all digits (an
# exchange's numeric code such as 700 or 1306); never a number such as 0.15 typed in the wrong cell.
_SYMBOL = re.compile(r"^(?=[A-Z0-9.\-]*[A-Z])[A-Z0-9][A-Z0-9.\-]{0,11}$|^[0-9]{1,6}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")

# Tables read field by field into a record: [table] key = the record's field of that name.
RECORDS: dict[str, type] = {
    "strategy": Strategy,
    "rebalancing": Rebalancing,
    "schedule": Schedule,
    "broker": BrokerSettings,
    "execution": Execution,
    "safety": SafetyLimits,
}
# [[assets]]: key in the file -> field of Asset
ASSET_KEYS = {
    "symbol": "symbol",
    "exchange": "exchange",
    "primary_exchange": "primary_exchange",
    "currency": "currency",
    "asset_class": "asset_class",
    "budget": "budget",
    "weight": "weight",
    "min": "min_weight",
    "max": "max_weight",
}
# Every key each table may hold ("" is the top level); None: names are the user's (checked
# by the table's reader: [groups] takes asset classes).
KEYS: dict[str, tuple[str, ...] | None] = {
    "": ("base_currency", *RECORDS, "fees", "ui", "groups", "assets"),
    **{name: tuple(f.name for f in fields(record)) for name, record in RECORDS.items()},
    "fees": ("plan",),
    "ui": ("theme",),
    "assets": tuple(ASSET_KEYS),
    "groups": None,
}


def check_keys(r: TableReader, data: dict[str, Any]) -> None:
    """Refuse any key or table :data:`KEYS` does not list, naming the nearest valid one."""
    for name, value in data.items():
        if name not in KEYS[""]:
            raise r.unknown(name, name, KEYS[""], isinstance(value, dict))
    for table, allowed in KEYS.items():
        value = data.get(table)
        if not table or allowed is None:
            continue
        sections = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
        for i, section in sections:
            if not isinstance(section, dict):
                continue  # the table's reader says what it must be
            prefix = table if i is None else f"{table}[{i}]"
            for name in section:
                moved = MOVED.get(f"{table}.{name}")
                if moved:
                    new_table, _, new_name = moved.partition(".")
                    raise r.fail(
                        f"{prefix}.{name}",
                        f"{name} moved to [{new_table}] (the rebalancing policy): write "
                        f"{new_name} = {show(section[name])} under [{new_table}]",
                    )
                if name not in allowed:
                    raise r.unknown(f"{prefix}.{name}", name, allowed, False)


def parse_portfolio(text: str, path: Path) -> Portfolio:
    """Validate TOML ``text`` read from ``path``.

    Raises:
        ConfigError: invalid TOML, an unknown key or table, or an invalid value; the message
            names key and line and says what a valid value looks like.
    """
    data = loads(text, path)
    r = TableReader(path, text, KEYS)
    check_keys(r, data)

    base = r.get(data, "base_currency", "base_currency", str, "USD")
    if not _CURRENCY.match(base):
        raise r.fail("base_currency", f"{show(base)} is not a 3-letter currency code such as USD")

    strategy = r.record(data, "strategy", Strategy)
    rebalancing = r.record(data, "rebalancing", Rebalancing)
    rebalancing = replace(rebalancing, calendar=rebalancing.calendar.upper())
    fee_plan = r.choice(
        r.table(data, "fees"), "fees.plan", "plan", CHOICES["fees.plan"], "ibkr-fixed"
    )
    broker = r.record(data, "broker", BrokerSettings)
    execution = r.record(data, "execution", Execution)
    safety = r.record(data, "safety", SafetyLimits)
    theme = r.get(r.table(data, "ui"), "ui.theme", "theme", str, "rp-dark")

    assets = _assets(r, data.get("assets", []), base)
    notes = _method_notes(r, strategy.method, assets)
    groups = _groups(r, r.table(data, "groups"), {a.asset_class for a in assets})
    portfolio = Portfolio(
        path,
        base,
        strategy,
        fee_plan,
        broker,
        theme,
        tuple(assets),
        execution,
        safety,
        groups,
        rebalancing,
        notes,
        schedule=_schedule(r, r.table(data, "schedule")),
    )
    try:
        portfolio.constraints().check_feasible()
    except InfeasibleError as exc:
        raise r.fail("groups" if groups else "assets", f"infeasible constraints: {exc}") from exc
    return portfolio


def _method_notes(r: TableReader, method: str, assets: list[Asset]) -> tuple[str, ...]:
    """What the method needs of the assets (a budget each for ``risk-budget``, a weight
    each for ``fixed``), and notes for what it ignores or adjusts, shown to the user.

    Raises:
        ConfigError: a budget or weight missing where the method needs one.
    """
    budgets, weights = [a.budget for a in assets], [a.weight for a in assets]
    needs = {"risk-budget": ("budget", budgets), "fixed": ("weight", weights)}
    if method in needs:
        key, values = needs[method]
        if None in values:
            missing = assets[values.index(None)].symbol
            raise r.fail("strategy.method", f"{method} needs a {key} on every asset ({missing})")
    notes = []  # budgets that a method ignores: the allocation itself says so
    if method != "fixed" and any(w is not None for w in weights):
        notes.append(f"weights are ignored: method {method} builds its own targets")
    if method == "fixed":
        total = sum(weights)
        if not total > 0:
            raise r.fail("strategy.method", "fixed needs weights that sum to more than 0")
        if abs(total - 1.0) > 1e-9:
            notes.append(f"fixed weights sum to {total:.4g}, not 1: each is divided by {total:.4g}")
    return tuple(notes)


def _assets(r: TableReader, raw_assets: Any, base: str) -> list[Asset]:
    """The ``[[assets]]`` tables: at least two, each symbol once, bounds and budgets valid."""
    if not isinstance(raw_assets, list) or not raw_assets:
        raise r.fail("assets", "add at least two [[assets]] tables with symbol, exchange, currency")
    assets: list[Asset] = []
    for i, item in enumerate(raw_assets):
        key = f"assets[{i}]"
        if not isinstance(item, dict):
            raise r.fail(key, "must be a table ([[assets]])")
        symbol = r.get(item, f"{key}.symbol", "symbol", str, "").strip().upper()
        if not _SYMBOL.match(symbol):
            raise r.fail(f"{key}.symbol", f"{show(symbol)} is not a ticker such as 'USMV'")
        if symbol in (a.symbol for a in assets):
            raise r.fail(f"{key}.symbol", f"{symbol} is listed twice; remove one")
        currency = r.get(item, f"{key}.currency", "currency", str, base).upper()
        if not _CURRENCY.match(currency):
            raise r.fail(f"{key}.currency", f"{show(currency)} is not a currency code such as USD")
        budget = None
        if item.get("budget") is not None:
            budget = r.get(item, f"{key}.budget", "budget", float, 0.0, rules=False)
            if RANGES["assets.budget"].problem(budget):
                raise r.fail(
                    f"{key}.budget",
                    f"{symbol}: a risk budget must be > 0 and finite, got {show(budget)}",
                )
        weight = None
        if item.get("weight") is not None:
            weight = r.get(item, f"{key}.weight", "weight", float, 0.0, rules=False)
            if RANGES["assets.weight"].problem(weight):
                raise r.fail(
                    f"{key}.weight",
                    f"{symbol}: a target weight is a fraction in [0, 1], got {show(weight)}",
                )
        low = r.get(item, f"{key}.min", "min", float, 0.0, rules=False)
        high = r.get(item, f"{key}.max", "max", float, 1.0, rules=False)
        for bound, value in (("min", low), ("max", high)):
            if RANGES[f"assets.{bound}"].problem(value):
                raise r.fail(
                    f"{key}.{bound}",
                    f"{symbol}: {bound} weight is a fraction in [0, 1], got {show(value)}",
                )
        if low > high:
            raise r.fail(f"{key}.min", f"{symbol}: min {low} is above max {high}")
        exchange = r.get(item, f"{key}.exchange", "exchange", str, "SMART").upper()
        primary = r.get(item, f"{key}.primary_exchange", "primary_exchange", str, "").upper()
        for field_name, code in (("exchange", exchange), ("primary_exchange", primary)):
            if code and code not in EXCHANGES:
                raise r.fail(
                    f"{key}.{field_name}",
                    f"{symbol}: unknown exchange {show(code)}; use "
                    "an IBKR code such as SMART, ARCA, BATS, LSEETF or IBIS",
                )
        assets.append(
            Asset(
                symbol=symbol,
                exchange=exchange,
                currency=currency,
                primary_exchange=primary,
                asset_class=r.get(item, f"{key}.asset_class", "asset_class", str, ""),
                budget=budget,
                min_weight=low,
                max_weight=high,
                weight=weight,
            )
        )
    if len(assets) < 2:
        raise r.fail("assets", "risk parity needs at least two assets")
    return assets


def _groups(r: TableReader, table: dict[str, Any], classes: set[str]):
    """``[groups]``: ``class = 0.5`` (exact) or ``class = {min = 0.2, max = 0.4}``."""
    groups = []
    for name, value in table.items():
        key = f"groups.{name}"
        for bound in value if isinstance(value, dict) else ():
            if bound not in ("min", "max"):
                raise r.unknown(f"{key}.{bound}", bound, ("min", "max"), False)
        if name not in classes:
            raise r.fail(key, f"no asset has asset_class = {show(name)}")
        if isinstance(value, dict):
            low = r.check(key, r.get(value, key, "min", float, 0.0), "groups.min")
            high = r.check(key, r.get(value, key, "max", float, 1.0), "groups.max")
        else:
            low = high = r.check(key, r.get(table, key, name, float, 0.0), "groups.min")
        if not low <= high:
            raise r.fail(key, f"needs min ≤ max, got {low}..{high}")
        groups.append((name, low, high))
    return tuple(groups)


def _schedule(r: TableReader, table: dict[str, Any]) -> Schedule:
    """``[schedule]``: its scalar keys as the record's fields, ``notify`` a list of
    notification URLs (``scheme://…``, as apprise takes them)."""
    urls = table.get("notify", [])
    example = 'such as ["mailto://you@example.com"] or ["json://127.0.0.1:8080/"]'
    if not isinstance(urls, list):
        raise r.fail("schedule.notify", f"must be a list of URLs in quotes, {example}")
    for i, url in enumerate(urls):
        if not isinstance(url, str) or not re.match(r"^[a-z][a-z0-9+.\-]*://\S+$", url):
            raise r.fail(
                "schedule.notify",
                f"item {i + 1}, {show(url)}, is not a URL; write a list {example}",
            )
    rest = {k: v for k, v in table.items() if k != "notify"}
    return replace(r.record({"schedule": rest}, "schedule", Schedule), notify=tuple(urls))


def load_portfolio(path: str | Path) -> Portfolio:
    """Read and validate a portfolio file.

    Raises:
        ConfigError: the file is missing, unreadable, not TOML, or holds an invalid value.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(
            str(path), "not found: run rp-tui init to write one here, or pass --config FILE"
        ) from exc
    except IsADirectoryError as exc:
        raise ConfigError(str(path), "is a directory; pass --config FILE") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"cannot be read: {exc}") from exc
    return parse_portfolio(text, path)
