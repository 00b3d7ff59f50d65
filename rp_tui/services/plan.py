"""The plan: the account beside its targets, and the fee-inclusive orders between them.

Shared by the dashboard, the order preview, ``rp-tui plan`` and ``rp-tui rebalance``. The
orders come from :func:`rp_tui.domain.rebalance.plan_rebalance` under the policy of
``[rebalancing]`` (:mod:`rp_tui.services.policy`), the same call every backtest rebalance
makes. Every holding and cash balance the broker reports is counted: holdings not listed in
``portfolio.toml`` are valued in NAV and kept or sold to zero as the policy says.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import numpy as np

from rp_tui.broker.base import AccountSnapshot, Broker, Holding
from rp_tui.domain import allocation
from rp_tui.domain.fee_model import NO_FEES, FeeTable
from rp_tui.domain.fx_conversion import currency_groups
from rp_tui.domain.rebalance import plan_rebalance
from rp_tui.errors import ConfigError, DataError
from rp_tui.inputs.fee_data import fee_table, order_route
from rp_tui.inputs.portfolio import Asset
from rp_tui.services.plan_records import OrderRow, Plan, PositionRow
from rp_tui.services.policy import PolicyOverrides, policy_of, sizing_rules
from rp_tui.services.session import Session
from rp_tui.services.targets import Targets, targets_for


@dataclass(frozen=True)
class TradingHistory:
    """What the trade log says about past trading, for the policy's guards and fees.

    Attributes:
        last_traded: when the last rebalance with a fill happened (UTC), ``None`` if never.
        month_to_date_shares: shares filled this calendar month per symbol (IBKR Tiered's
            volume tiers).
    """

    last_traded: datetime | None = None
    month_to_date_shares: dict[str, float] | None = None


def trading_history(records: list[dict], now: datetime | None = None) -> TradingHistory:
    """Read ``records`` of the trade log (oldest first): the last fill's time and this
    month's filled shares per symbol."""
    now = now or datetime.now(UTC)
    last, month = None, {}
    for record in records:
        if record.get("event") != "result" or not (record.get("filled") or 0) > 0:
            continue
        try:
            when = datetime.fromisoformat(record["ts"])
        except (KeyError, TypeError, ValueError):
            continue
        last = when if last is None or when > last else last
        if (when.year, when.month) == (now.year, now.month):
            symbol = str(record.get("symbol", ""))
            month[symbol] = month.get(symbol, 0.0) + float(record["filled"])
    return TradingHistory(last, month)


def _holding_asset(h: Holding) -> Asset:
    return Asset(h.symbol, h.exchange or "SMART", h.currency, h.primary_exchange)


def _fees(session: Session, held: list[Holding], on: str, volume: dict[str, float], fx):
    """Fee schedules dated ``on``: the portfolio's assets (with this month's volume for
    tiered plans), then the outside holdings (NO_FEES where no schedule covers a listing:
    such a holding cannot be sold here). Returns the table, each listing's fee notes, and
    the holdings that have no schedule (symbol → why)."""
    plan, assets = session.portfolio.fee_plan, session.portfolio.assets
    volumes = [volume.get(a.symbol, 0.0) for a in assets]
    routes = [order_route(a) for a in assets]  # a named exchange is direct routing
    table = fee_table(plan, assets, on=on, route=routes, month_to_date_shares=volumes, fx=fx)
    schedules, notes, unknown = list(table.schedules), list(table.notes), {}
    for h in held:
        try:
            asset = _holding_asset(h)
            extra = fee_table(plan, [asset], on=on, route=order_route(asset), fx=fx)
        except ConfigError as exc:
            schedules.append(NO_FEES)
            notes.append(())
            unknown[h.symbol] = f"{h.symbol}: {exc}"
        else:
            schedules.append(extra.schedules[0])
            notes.append(extra.notes[0])
    return FeeTable(schedules), notes, unknown


def plan_from_snapshot(
    session: Session,
    snapshot: AccountSnapshot,
    targets: Targets,
    overrides: PolicyOverrides | None = None,
    cash_flow: float = 0.0,
    history: TradingHistory | None = None,
) -> Plan:
    """Size the orders for ``snapshot`` under the portfolio's ``[rebalancing]`` policy.

    Args:
        session: the portfolio (its policy, fee plan and assets).
        snapshot: every holding and cash balance of the account.
        targets: target weights of the portfolio's assets, ``(n_assets,)``.
        overrides: command-line overrides of the policy.
        cash_flow: a deposit (> 0: cash arriving now, spent by the policy) or a withdrawal
            (< 0: cash raised by selling the most overweight first, fees included), base
            currency.
        history: the trade log's last rebalance and month-to-date volume (guards, fees).

    An asset in ``snapshot.blocked`` or without a valid price is not traded (the reason is
    kept in ``Plan.blocked``); weight is never spread over the other assets.

    Raises:
        DataError: a holding with no price at all (named), NAV ≤ 0, or a withdrawal larger
            than NAV.
    """
    portfolio, history = session.portfolio, history or TradingHistory()
    policy = policy_of(portfolio, overrides)
    outside = [h for h in snapshot.holdings if not h.in_portfolio and h.quantity != 0]
    listings = list(portfolio.assets) + [_holding_asset(h) for h in outside]
    symbols = [a.symbol for a in listings]
    n_in = len(portfolio.assets)
    prices = np.array([snapshot.prices.get(s, np.nan) for s in symbols], dtype=float)
    quantities = np.array([snapshot.quantities.get(s, 0.0) for s in symbols], dtype=float)
    blocked = dict(snapshot.blocked)
    for s, p in zip(symbols, prices, strict=True):
        if not (p > 0) and s not in blocked:
            blocked[s] = f"no valid price for {s} on {snapshot.as_of}"
    unvalued = [s for s, p, q in zip(symbols, prices, quantities, strict=True) if not p > 0 and q]
    if unvalued:
        raise DataError(
            f"account {snapshot.account}: cannot value {', '.join(unvalued)} (no price at all); "
            "no plan until a price arrives"
        )
    prices = np.where(prices > 0, prices, 1.0)  # placeholder for unheld, frozen assets
    fx = np.array([snapshot.fx.get(a.currency, math.nan) for a in listings])
    missing_fx = sorted({a.currency for a, r in zip(listings, fx, strict=True) if not r > 0})
    if missing_fx:
        raise DataError(
            f"account {snapshot.account}: no {', '.join(missing_fx)}/{snapshot.base_currency} "
            "exchange rate from the broker yet; retry"
        )
    fees, fee_notes, unpriced = _fees(
        session, outside, snapshot.as_of[:10], history.month_to_date_shares or {}, snapshot.fx
    )
    cash = snapshot.cash + max(cash_flow, 0.0)
    withdraw = max(-cash_flow, 0.0)
    nav = cash + float((quantities * prices * fx).sum())
    if withdraw > nav:
        raise DataError(f"a withdrawal of {withdraw:,.2f} is more than the NAV {nav:,.2f}")
    selling_outside = policy.outside_holdings == "sell"
    kept = np.zeros(len(listings), dtype=bool)
    kept[n_in:] = not selling_outside
    for s, reason in unpriced.items():
        blocked.setdefault(s, f"{reason}; it is kept")
    frozen = np.array([s in blocked for s in symbols]) | kept
    # Kept holdings stay where they are: the portfolio's targets share what is left.
    kept_share = float((quantities * prices * fx)[kept].sum()) / nav if nav > 0 else 0.0
    buffer = policy.cash_buffer
    weights = np.zeros(len(listings))
    room = max(1.0 - kept_share / (1.0 - buffer), 0.0)
    weights[:n_in] = targets.weights * room
    weights[n_in:] = np.where(kept[n_in:], quantities[n_in:] * prices[n_in:] * fx[n_in:], 0.0)
    weights[n_in:] /= nav * (1.0 - buffer) if nav > 0 else 1.0
    rules = sizing_rules(portfolio, overrides, usd_to_base=snapshot.fx.get("USD", 1.0))
    if withdraw and rules.mode == "buy-only":
        rules = replace(rules, mode="sell-only")  # raising cash means selling
    groups = currency_groups([a.currency for a in listings], snapshot.base_currency)
    must_trade = np.zeros(len(listings), dtype=bool)
    must_trade[n_in:] = selling_outside
    covariance = np.zeros((len(listings), len(listings)))
    covariance[:n_in, :n_in] = targets.covariance
    too_soon = _too_soon(policy.min_interval_days, history.last_traded)
    try:
        sized = plan_rebalance(
            quantities, prices, cash, weights, rules, fees, fx, frozen, withdraw,
            groups if (groups >= 0).any() else None, covariance, must_trade,
        )  # fmt: skip
    except ValueError as exc:
        raise DataError(f"account {snapshot.account}: {exc}") from exc
    signed = sized.quantities
    withheld = ""
    if too_soon and signed.any() and not withdraw:
        withheld, signed = too_soon, np.zeros_like(signed)
    held_by_symbol = {h.symbol: h for h in snapshot.holdings}
    current_rc = (
        allocation.risk_contributions(sized.weights[:n_in], targets.covariance)
        if sized.weights[:n_in].any()
        else np.zeros(n_in)  # an empty account carries no risk yet
    )
    positions = tuple(
        PositionRow(
            a.symbol,
            a.exchange,
            a.currency,
            float(quantities[i]),
            float(prices[i]),
            float(quantities[i] * prices[i] * fx[i]),
            float(sized.weights[i]),
            float(sized.targets[i]),
            float(sized.drift[i]),
            float(current_rc[i]) if i < n_in else math.nan,
            float(targets.risk_contributions[i]) if i < n_in else math.nan,
            in_portfolio=i < n_in,
            average_cost=_cost(held_by_symbol.get(a.symbol)),
        )
        for i, a in enumerate(listings)
        if i < n_in or quantities[i]
    )
    commissions = sized.commissions if signed.any() else np.zeros_like(signed)
    orders = tuple(
        OrderRow(
            a.symbol,
            "BUY" if signed[i] > 0 else "SELL",
            float(abs(signed[i])),
            float(prices[i]),
            a.currency,
            float(abs(signed[i]) * sized.fill_prices[i]),
            float(commissions[i]),
            _realised(signed[i], sized.fill_prices[i], commissions[i], held_by_symbol, a.symbol),
            tuple(fee_notes[i]),
        )
        for i, a in sorted(enumerate(listings), key=lambda ia: signed[ia[0]] > 0)
        if signed[i] != 0
    )
    notes = _notes(session, targets, policy, outside, kept_share)
    gains = [o.realised_gain * snapshot.fx.get(o.currency, 1.0) for o in orders if o.side == "SELL"]
    traded = bool(signed.any())
    return Plan(
        broker=snapshot.broker,
        account=snapshot.account,
        as_of=snapshot.as_of,
        base_currency=snapshot.base_currency,
        method=targets.method,
        lookback=targets.lookback,
        band=policy.band,
        cash_buffer=buffer,
        nav=sized.nav,
        cash=cash,
        positions=positions,
        orders=orders,
        total_commission=sized.total_commission if traded else 0.0,
        cash_after=sized.cash_after if traded else cash,
        blocked=blocked,
        quote_kinds=dict(snapshot.quote_kinds),
        policy=policy,
        cash_flow=cash_flow,
        reserve=buffer * (sized.nav - withdraw) + withdraw,
        cash_by_currency=dict(snapshot.cash_by_currency),
        notes=notes,
        withheld=withheld,
        total_realised_gain=float(sum(gains)),
    )


def _cost(holding: Holding | None) -> float:
    return holding.average_cost if holding is not None else math.nan


def _realised(signed: float, price: float, commission: float, held: dict, symbol: str) -> float:
    """A sell's realised gain against the average cost, after its commission (listing
    currency); NaN for buys or an unknown cost."""
    cost = _cost(held.get(symbol))
    if signed >= 0 or not math.isfinite(cost):
        return math.nan
    return float(-signed * (price - cost) - commission)


def _too_soon(min_interval_days: int, last: datetime | None) -> str:
    """The over-trading guard's refusal, naming the last rebalance; "" when trading is due."""
    if not min_interval_days or last is None:
        return ""
    allowed = last + timedelta(days=min_interval_days)
    if datetime.now(UTC) >= allowed:
        return ""
    return (
        f"over-trading guard: the last rebalance traded on {last:%Y-%m-%d %H:%M} UTC; "
        f"min_interval_days = {min_interval_days}, so the next may trade from "
        f"{allowed:%Y-%m-%d %H:%M} UTC"
    )


def _notes(session, targets, policy, outside, kept_share) -> tuple[str, ...]:
    notes = list(session.portfolio.notes) + list(getattr(targets, "notes", ()))
    if outside:
        names = ", ".join(h.symbol for h in outside)
        if policy.outside_holdings == "sell":
            notes.append(f"not in portfolio.toml: {names}: sold to zero (outside_holdings)")
        else:
            notes.append(
                f"not in portfolio.toml: {names}: kept ({kept_share:.1%} of NAV), counted in NAV "
                'and never traded; set [rebalancing] outside_holdings = "sell" to sell'
            )
    return tuple(dict.fromkeys(notes))  # once each, in order


async def build_plan(
    session: Session,
    broker: Broker,
    targets: Targets | None = None,
    overrides: PolicyOverrides | None = None,
    cash_flow: float = 0.0,
    snapshot: AccountSnapshot | None = None,
) -> Plan:
    """Snapshot the account (unless ``snapshot`` was just taken, e.g. by the app to show
    the holdings at once) and size the rebalance (targets as of the account's date).

    With IBKR, the covariance comes from IBKR's daily history unless ``--prices`` gave one.
    The trade log gives the last rebalance (over-trading guard) and this month's volume.
    """
    from rp_tui.state.trade_log import TradeLog

    snapshot = snapshot or await broker.snapshot()
    if targets is None:
        targets = await targets_for(session, broker, snapshot)
    history = trading_history(TradeLog().read())
    return plan_from_snapshot(session, snapshot, targets, overrides, cash_flow, history)
