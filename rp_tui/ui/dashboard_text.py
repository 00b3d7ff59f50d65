"""The dashboard's lines as plain text: the status line (broker, account, PAPER / LIVE,
READ-ONLY), totals and cash, the policy, the schedule, the plan's notes and alerts.

Nothing here touches a widget; :mod:`rp_tui.ui.dashboard` places the lines on screen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rp_tui.inputs.portfolio import Rebalancing
from rp_tui.services.plan_records import Plan, PositionRow
from rp_tui.ui import format as fmt

if TYPE_CHECKING:
    from rp_tui.broker.base import AccountSnapshot, TradingAccess
    from rp_tui.inputs.portfolio import Asset
    from rp_tui.services.schedule_status import ScheduleStatus
    from rp_tui.services.session import Session

OUTSIDE_MARK = "*"  # after the symbol of a holding portfolio.toml does not list
READ_ONLY_FIX = "set [broker] read_only = false in portfolio.toml to trade"


def safe_access(broker) -> TradingAccess | None:
    """``broker.access()``, or None when the broker cannot say yet (never raises)."""
    try:
        return broker.access()
    except Exception:  # a status line must not take the app down
        return None


def access_label(access: TradingAccess | None, account: str = "") -> str:
    """Broker, account, PAPER or LIVE, READ-ONLY: ``IBKR DU1234567 PAPER READ-ONLY``,
    ``demo DEMO-RP1 PAPER``. PAPER / LIVE only once the account is known and the broker
    can trade at all (a Flex statement cannot)."""
    if access is None:
        return ""
    name = access.name.removeprefix("the ").removesuffix(" (read-only)").removesuffix(" account")
    account = account or access.account
    words = [name, account] if account else [name]
    if account and not access.read_only_reason:
        words.append("LIVE" if access.live else "PAPER")
    if access.read_only:
        words.append("READ-ONLY (cannot trade)" if access.read_only_reason else "READ-ONLY")
    return " ".join(words)


def access_alerts(access: TradingAccess | None) -> list[str]:
    """Why a run on this broker would be refused before anything is sent (read-only, a
    live account not allowed), in full; empty when nothing stands in the way."""
    if access is None:
        return []
    if access.read_only_reason:
        reason = access.read_only_reason.replace(": nothing was sent", "")
        return [f"READ-ONLY: {reason}"]
    if access.read_only:
        return [f"READ-ONLY: [broker] read_only = true, no order can be sent; {READ_ONLY_FIX}"]
    if access.live and access.account and not access.allow_live:
        return [
            f"LIVE account {access.account}: runs are refused until [broker] allow_live = true "
            "(each run then asks for the account id)"
        ]
    return []


def account_rows(
    snapshot: AccountSnapshot, assets: Sequence[Asset], cash_flow: float = 0.0
) -> tuple[list[PositionRow], float, float] | None:
    """The account before its targets are known: one row per portfolio asset and per other
    holding, valued in the base currency (cash and a deposit counted in NAV, as the plan
    counts them); targets, drift and risk NaN. Returns ``(rows, nav, cash)``, or None when
    a held symbol has no price or exchange rate yet (the plan will say why)."""
    listings = [(a.symbol, a.exchange, a.currency, True) for a in assets]
    listings += [
        (h.symbol, h.exchange, h.currency, False)
        for h in snapshot.holdings
        if not h.in_portfolio and h.quantity
    ]
    values = []
    for symbol, exchange, currency, listed in listings:
        quantity = snapshot.quantities.get(symbol, 0.0)
        price = snapshot.prices.get(symbol, math.nan)
        value = quantity * price * snapshot.fx.get(currency, math.nan) if quantity else 0.0
        if not math.isfinite(value):
            return None
        values.append((symbol, exchange, currency, quantity, price, value, listed))
    cash = snapshot.cash + max(cash_flow, 0.0)
    nav = cash + sum(v[5] for v in values)
    if not nav > 0:
        return None
    nan = math.nan
    rows = [
        PositionRow(s, x, c, q, p, v, v / nav, nan, nan, nan, in_portfolio=listed)
        for s, x, c, q, p, v, listed in values
    ]
    return rows, nav, cash


def connection_lost(connection: str) -> bool:
    """Whether the broker's last status line means no usable connection (connecting,
    disconnected and retrying, TWS cut off from IBKR, Alpaca not answering)."""
    return bool(connection) and not connection.startswith("connected")


def status_text(
    session: Session,
    plan: Plan | None,
    broker_kind: str,
    connection: str = "",
    state: str = "ACTIVE",
    failed: bool = False,
    access: TradingAccess | None = None,
    loading: str = "loading account",
) -> str:
    """One line: a lost connection first (the broker's own words), then broker, account,
    PAPER / LIVE and READ-ONLY, the trading state, price date, method, estimator, lookback
    and band. Least important last: a narrow terminal cuts the tail (the lines below the
    table repeat it)."""
    strategy = session.portfolio.strategy
    label = access_label(access, plan.account if plan else "")
    if not label:
        label = f"{plan.broker} {plan.account}" if plan else broker_kind
    broker = f"{connection} | {label}" if connection_lost(connection) else label
    as_of = f"as of {plan.as_of[:10]}" if plan else "no plan" if failed else loading
    estimator = "" if strategy.estimator == "sample" else f" {strategy.estimator}"
    return (
        f"{broker} | {state} | {as_of} | {strategy.method} {strategy.lookback}d{estimator}"
        f" | band {band_text(session.portfolio.rebalancing)}"
    )


def band_text(policy: Rebalancing) -> str:
    """The drift band in words: ``1.00 pp`` (absolute) or ``±20% of target`` (relative)."""
    if policy.band_kind == "relative":
        return f"±{fmt.percent(policy.band, 0)} of target"
    return fmt.points(policy.band, signed=False)


def out_of_band(position: PositionRow, plan: Plan) -> bool:
    """Whether ``position`` drifted past the plan's band (absolute or relative)."""
    band = plan.band * position.target if plan.policy.band_kind == "relative" else plan.band
    return abs(position.drift) > band


def _amounts(by_currency: dict[str, float]) -> str:
    return ", ".join(fmt.money(v, ccy) for ccy, v in sorted(by_currency.items()))


def cash_flow_text(plan: Plan) -> str:
    """``deposit 5,000.00 USD`` / ``withdrawal 2,000.00 USD``; "" without a cash flow."""
    if not plan.cash_flow:
        return ""
    kind = "deposit" if plan.cash_flow > 0 else "withdrawal"
    return f"{kind} {fmt.money(abs(plan.cash_flow), plan.base_currency)}"


def totals_lines(plan: Plan) -> list[str]:
    """NAV, cash, the largest absolute drift (and its asset); every cash balance when the
    account holds more than the base currency; what the plan would do; the cash flow."""
    ccy = plan.base_currency
    worst = max(
        (p for p in plan.positions if p.in_portfolio), key=lambda p: abs(p.drift), default=None
    )
    drift = fmt.points(plan.max_abs_drift, signed=False)
    if worst is not None:
        drift += f" ({worst.symbol})"
    lines = [f"NAV {fmt.money(plan.nav, ccy)}   Cash {fmt.money(plan.cash, ccy)}   "
             f"Largest |drift| {drift}"]  # fmt: skip
    balances = plan.cash_by_currency
    if balances and set(balances) != {ccy}:
        lines.append(f"Cash by currency: {_amounts(balances)}")
    orders = len(plan.orders)
    if orders:
        lines.append(f"{orders} order{'s' if orders != 1 else ''} to rebalance: p to preview")
    elif plan.withheld:
        lines.append(f"No orders: {plan.withheld}")
    else:
        lines.append("Every asset is within its band: nothing to trade")
    if plan.cash_flow:
        lines.append(
            f"Planned with a {cash_flow_text(plan)} (in the cash above)"
            if plan.cash_flow > 0
            else f"Planned with a {cash_flow_text(plan)} (raised by selling, kept as cash)"
        )
    return lines


def blocked_text(plan: Plan) -> str:
    """One line per symbol whose orders are blocked, with the broker's reason."""
    return "\n".join(
        f"Blocked {symbol}: {reason.removeprefix(f'{symbol}: ')}"
        for symbol, reason in plan.blocked.items()
    )


def note_lines(plan: Plan) -> list[str]:
    """The plan's notes: holdings outside portfolio.toml first (the legend of the rows
    marked ``*``), then what the method ignored or adjusted."""
    outside = [n for n in plan.notes if n.startswith("not in portfolio.toml")]
    lines = []
    if plan.outside:
        kind = plan.policy.outside_holdings
        default = "sold to zero" if kind == "sell" else "kept, counted in NAV, never traded"
        legend = outside[0] if outside else f"not in portfolio.toml: {default}"
        lines.append(f"{OUTSIDE_MARK} {legend}")
    lines += [f"Note: {n}" for n in plan.notes if n not in outside]
    return lines


def rules_text(session: Session) -> str:
    """The allocation inputs in one line: method, estimator, lookback, budgets, bounds,
    asset-class groups and the volatility target (edited with ``e``)."""
    p = session.portfolio
    s = p.strategy
    budgets = [a for a in p.assets if a.budget is not None]
    budget_text = "equal" if not budgets else " ".join(f"{a.symbol} {a.budget:g}" for a in budgets)
    bounds = [
        f"{a.symbol} {a.min_weight:.0%}-{a.max_weight:.0%}"
        for a in p.assets
        if a.min_weight > 0 or a.max_weight < 1
    ]
    groups = [f"{name} {lo:.0%}" + (f"-{hi:.0%}" if hi != lo else "") for name, lo, hi in p.groups]
    target = f"; vol target {s.target_volatility:.0%}" if s.target_volatility else ""
    return (
        f"Rules: {s.method}, {s.estimator} covariance, {s.lookback}d; budgets {budget_text};"
        f" bounds {', '.join(bounds) or 'none'}; classes {', '.join(groups) or 'none'}"
        f"{target}"
    )


def policy_text(policy: Rebalancing, currency: str, wide: bool = False) -> str:
    """``[rebalancing]`` in one sentence: compact (two lines at 80 columns) or, ``wide``,
    every key in words."""
    band = band_text(policy) + ("" if policy.band_kind == "relative" else " abs")
    ratio = fmt.percent(policy.max_commission_ratio) if policy.max_commission_ratio else "off"
    interval = f"{policy.min_interval_days} d" if policy.min_interval_days else "off"
    skip = "on" if policy.skip_uneconomic else "off"
    min_trade = fmt.money(policy.min_trade, currency, 0) if policy.min_trade else "off"
    if not wide:
        return (
            f"Policy: {policy.frequency}; band {band}; trade {policy.trade}; {policy.mode};"
            f" buffer {fmt.percent(policy.cash_buffer)}; min trade {min_trade};"
            f" max comm. {ratio}; skip uneconomic {skip}; min interval {interval}"
        )
    calendar = policy.calendar or "the first asset's exchange"
    shares = "fractional shares" if policy.fractional else "whole shares"
    return (
        f"Policy: {policy.frequency}, on the {policy.anchor} trading day of {calendar};"
        f" band {band_text(policy)} ({policy.band_kind}); trade {policy.trade}; mode"
        f" {policy.mode}; cash buffer {fmt.percent(policy.cash_buffer)}; min trade {min_trade};"
        f" max commission ratio {ratio}; skip uneconomic {skip}; min interval {interval};"
        f" {shares}; outside holdings {policy.outside_holdings}"
    )


def schedule_text(status: ScheduleStatus, wide: bool = False) -> str:
    """``Schedule: next 2026-12-31 10:00 EST (XNYS), plans only; no run yet``: the next
    due run (exchange time, and this machine's when wide) and the last one's outcome.

    Reads the exchange calendar (slow the first time): call it in a thread worker.
    """
    from rp_tui.services.exchange_hours import describe, local_time

    if status.problem:
        return f"Schedule: cannot be computed: {status.problem}"
    does = "sends orders" if status.execute else "plans only"
    if status.due_now:
        when = "due now"
    elif status.next_at is None:
        when = "no next run known"
    else:
        when = f"next {describe(status.next_at, status.calendar)}"
        if wide:
            when += f" = {local_time(status.next_at)} here, {status.next_key}"
    if status.last_key:
        at = status.last_at[:16].replace("T", " ")
        last = f"last {status.last_key} {status.last_outcome or 'ran'} ({at} UTC)"
    else:
        last = "no run yet"
    return f"Schedule: {when}, {does}; {last}"
