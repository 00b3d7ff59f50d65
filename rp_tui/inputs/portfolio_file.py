"""Read and validate ``portfolio.toml`` (``tomllib``); every error names file, key and line."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from rp_tui.domain.constraints import InfeasibleError
from rp_tui.domain.names import (
    ESTIMATORS,
    EXCHANGES,
    FEE_PLANS,
    FREQUENCIES,
    METHODS,
    RETURN_KINDS,
)
from rp_tui.domain.safety import SafetyLimits
from rp_tui.errors import ConfigError
from rp_tui.inputs.portfolio import Asset, BrokerSettings, Execution, Portfolio, Strategy

BROKER_KINDS = ("demo", "ibkr")
ORDER_TYPES = ("limit", "market", "adaptive")
UNFILLED = ("cancel", "keep")
_SYMBOL = re.compile(r"^[A-Z0-9][A-Z0-9.\-]{0,11}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def locate(text: str, key: str) -> int | None:
    """1-based line of a dotted ``key`` (``strategy.band``, ``assets[1].symbol``) in TOML text."""
    parts = key.replace("]", "").split(".")
    lines = text.splitlines()
    start, table = 0, ""
    if len(parts) > 1:
        table, _, index = parts[0].partition("[")
        header = re.compile(rf"^\s*\[\[?\s*{re.escape(table)}\s*\]\]?")
        hits = [i for i, line in enumerate(lines) if header.match(line)]
        nth = int(index) if index else 0
        if nth >= len(hits):
            return hits[-1] + 1 if hits else None
        start = hits[nth] + 1
    name = re.compile(rf"^\s*{re.escape(parts[-1])}\s*=")
    for i in range(start, len(lines)):
        if table and lines[i].lstrip().startswith("["):
            break
        if name.match(lines[i]):
            return i + 1
    return start or None


class _Reader:
    """Typed access to a parsed TOML table; errors carry file, key and line."""

    def __init__(self, path: Path, text: str):
        self.path, self.text = path, text

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(str(self.path), message, key=key, line=locate(self.text, key))

    def get(self, table: dict[str, Any], key: str, name: str, kind: type, default: Any) -> Any:
        value = table.get(name, default)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(key, f"must be a {kind.__name__}, got {value!r}")
        return value

    def choice(self, table: dict[str, Any], key: str, name: str, options: tuple, default: str):
        value = self.get(table, key, name, str, default)
        if value not in options:
            raise self.fail(key, f"{value!r} is not one of {', '.join(options)}")
        return value

    def table(self, data: dict[str, Any], name: str) -> dict[str, Any]:
        value = data.get(name, {})
        if not isinstance(value, dict):
            raise self.fail(name, f"must be a table ([{name}])")
        return value


def parse_portfolio(text: str, path: Path) -> Portfolio:
    """Validate TOML ``text`` read from ``path``.

    Raises:
        ConfigError: invalid TOML or an invalid value; the message names key and line and
            says what a valid value looks like.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"is not valid TOML: {exc}") from exc
    r = _Reader(path, text)

    base = r.get(data, "base_currency", "base_currency", str, "USD")
    if not _CURRENCY.match(base):
        raise r.fail("base_currency", f"{base!r} is not a 3-letter currency code such as USD")

    s = r.table(data, "strategy")
    strategy = Strategy(
        method=r.choice(s, "strategy.method", "method", METHODS, "erc"),
        lookback=r.get(s, "strategy.lookback", "lookback", int, 252),
        rebalance=r.choice(s, "strategy.rebalance", "rebalance", FREQUENCIES, "monthly"),
        band=r.get(s, "strategy.band", "band", float, 0.01),
        cash_buffer=r.get(s, "strategy.cash_buffer", "cash_buffer", float, 0.01),
        estimator=r.choice(s, "strategy.estimator", "estimator", ESTIMATORS, "sample"),
        half_life=r.get(s, "strategy.half_life", "half_life", float, 63.0),
        returns=r.choice(s, "strategy.returns", "returns", RETURN_KINDS, "simple"),
        downside_threshold=r.get(
            s, "strategy.downside_threshold", "downside_threshold", float, 0.0
        ),
        risk_aversion=r.get(s, "strategy.risk_aversion", "risk_aversion", float, 4.0),
        target_volatility=r.get(s, "strategy.target_volatility", "target_volatility", float, 0.0),
        max_gross=r.get(s, "strategy.max_gross", "max_gross", float, 1.0),
        calendar=r.get(s, "strategy.calendar", "calendar", str, "").upper(),
    )
    if not 20 <= strategy.lookback <= 5000:
        raise r.fail("strategy.lookback", "must be between 20 and 5000 trading days (252 ≈ 1 y)")
    if not 0.0 <= strategy.band < 0.5:
        raise r.fail("strategy.band", "is a fraction of NAV in [0, 0.5): write 0.02 for 2 pp")
    if not 0.0 <= strategy.cash_buffer < 0.5:
        raise r.fail("strategy.cash_buffer", "is a fraction of NAV in [0, 0.5): 0.01 keeps 1 %")
    if not 1 <= strategy.half_life <= 5000:
        raise r.fail("strategy.half_life", "is in trading days, 1-5000 (63 ≈ a quarter)")
    if not -0.2 < strategy.downside_threshold < 0.2:
        raise r.fail("strategy.downside_threshold", "is a daily return such as 0.0")
    if not 0 < strategy.risk_aversion <= 1000:
        raise r.fail("strategy.risk_aversion", "must be > 0 (λ; 2-10 is usual)")
    if not 0 <= strategy.target_volatility < 2:
        raise r.fail("strategy.target_volatility", "is an annual fraction: 0.08 = 8 %, 0 = off")
    if not 0 < strategy.max_gross <= 1:
        raise r.fail("strategy.max_gross", "must be in (0, 1]: rp-tui does not lever")

    fee_plan = r.choice(r.table(data, "fees"), "fees.plan", "plan", FEE_PLANS, "ibkr-fixed")

    b = r.table(data, "broker")
    broker = BrokerSettings(
        kind=r.choice(b, "broker.kind", "kind", BROKER_KINDS, "demo"),
        host=r.get(b, "broker.host", "host", str, "127.0.0.1"),
        port=r.get(b, "broker.port", "port", int, 7497),
        client_id=r.get(b, "broker.client_id", "client_id", int, 17),
        account=r.get(b, "broker.account", "account", str, ""),
        read_only=r.get(b, "broker.read_only", "read_only", bool, True),
        allow_live=r.get(b, "broker.allow_live", "allow_live", bool, False),
        connect_timeout=r.get(b, "broker.connect_timeout", "connect_timeout", float, 5.0),
    )
    if not 1 <= broker.port <= 65535:
        raise r.fail("broker.port", "must be a TCP port, 1-65535 (TWS paper 7497, Gateway 4002)")
    if not 0 < broker.connect_timeout <= 120:
        raise r.fail("broker.connect_timeout", "must be seconds in (0, 120], e.g. 5")

    e = r.table(data, "execution")
    execution = Execution(
        order_type=r.choice(e, "execution.order_type", "order_type", ORDER_TYPES, "limit"),
        limit_tolerance_bp=r.get(
            e, "execution.limit_tolerance_bp", "limit_tolerance_bp", float, 10.0
        ),
        fill_timeout=r.get(e, "execution.fill_timeout", "fill_timeout", float, 60.0),
        unfilled=r.choice(e, "execution.unfilled", "unfilled", UNFILLED, "cancel"),
    )
    if not 0 <= execution.limit_tolerance_bp <= 500:
        raise r.fail("execution.limit_tolerance_bp", "must be basis points in [0, 500], e.g. 10")
    if not 1 <= execution.fill_timeout <= 3600:
        raise r.fail("execution.fill_timeout", "must be seconds in [1, 3600], e.g. 60")

    f = r.table(data, "safety")
    defaults = SafetyLimits()
    safety = SafetyLimits(
        **{
            name: r.get(f, f"safety.{name}", name, float, getattr(defaults, name))
            for name in SafetyLimits.__dataclass_fields__
        }
    )
    for name, value in safety.__dict__.items():
        if not value > 0:
            raise r.fail(f"safety.{name}", f"must be > 0 (default {getattr(defaults, name)})")

    theme = r.get(r.table(data, "ui"), "ui.theme", "theme", str, "rp-dark")

    raw_assets = data.get("assets", [])
    if not isinstance(raw_assets, list) or not raw_assets:
        raise r.fail("assets", "add at least two [[assets]] tables with symbol, exchange, currency")
    assets: list[Asset] = []
    for i, item in enumerate(raw_assets):
        key = f"assets[{i}]"
        if not isinstance(item, dict):
            raise r.fail(key, "must be a table ([[assets]])")
        symbol = r.get(item, f"{key}.symbol", "symbol", str, "").strip().upper()
        if not _SYMBOL.match(symbol):
            raise r.fail(f"{key}.symbol", f"{symbol!r} is not a ticker such as 'USMV'")
        if symbol in (a.symbol for a in assets):
            raise r.fail(f"{key}.symbol", f"{symbol} is listed twice; remove one")
        currency = r.get(item, f"{key}.currency", "currency", str, base).upper()
        if not _CURRENCY.match(currency):
            raise r.fail(f"{key}.currency", f"{currency!r} is not a currency code such as USD")
        budget = item.get("budget")
        if budget is not None:
            budget = r.get(item, f"{key}.budget", "budget", float, 0.0)
            if not budget > 0:
                raise r.fail(f"{key}.budget", f"{symbol}: a risk budget must be > 0, got {budget}")
        low = r.get(item, f"{key}.min", "min", float, 0.0)
        high = r.get(item, f"{key}.max", "max", float, 1.0)
        if not 0 <= low <= 1:
            raise r.fail(f"{key}.min", f"{symbol}: min weight is a fraction in [0, 1]")
        if not 0 <= high <= 1:
            raise r.fail(f"{key}.max", f"{symbol}: max weight is a fraction in [0, 1]")
        if low > high:
            raise r.fail(f"{key}.min", f"{symbol}: min {low} is above max {high}")
        exchange = r.get(item, f"{key}.exchange", "exchange", str, "SMART").upper()
        primary = r.get(item, f"{key}.primary_exchange", "primary_exchange", str, "").upper()
        for field_name, code in (("exchange", exchange), ("primary_exchange", primary)):
            if code and code not in EXCHANGES:
                raise r.fail(
                    f"{key}.{field_name}",
                    f"{symbol}: unknown exchange {code!r}; use "
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
            )
        )
    if len(assets) < 2:
        raise r.fail("assets", "risk parity needs at least two assets")
    budgets = [a.budget for a in assets]
    if strategy.method == "risk-budget" and None in budgets:
        missing = assets[budgets.index(None)].symbol
        raise r.fail("strategy.method", f"risk-budget needs a budget on every asset ({missing})")
    groups = _groups(r, r.table(data, "groups"), {a.asset_class for a in assets})
    portfolio = Portfolio(
        path, base, strategy, fee_plan, broker, theme, tuple(assets), execution, safety, groups
    )
    try:
        portfolio.constraints().check_feasible()
    except InfeasibleError as exc:
        raise r.fail("groups" if groups else "assets", f"infeasible constraints: {exc}") from exc
    return portfolio


def _groups(r: _Reader, table: dict[str, Any], classes: set[str]):
    """``[groups]``: ``class = 0.5`` (exact) or ``class = {min = 0.2, max = 0.4}``."""
    groups = []
    for name, value in table.items():
        key = f"groups.{name}"
        if name not in classes:
            raise r.fail(key, f"no asset has asset_class = {name!r}")
        if isinstance(value, dict):
            low = r.get(value, key, "min", float, 0.0)
            high = r.get(value, key, "max", float, 1.0)
        else:
            low = high = r.get(table, key, name, float, 0.0)
        if not 0 <= low <= high <= 1:
            raise r.fail(key, f"needs 0 ≤ min ≤ max ≤ 1, got {low}..{high}")
        groups.append((name, low, high))
    return tuple(groups)


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
            str(path), "not found: run rp-tui where portfolio.toml is, or pass --config FILE"
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"cannot be read: {exc}") from exc
    return parse_portfolio(text, path)
