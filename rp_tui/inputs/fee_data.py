"""Resolve the commission data of ``rp_tui/data/fees.toml`` into per-asset fee schedules.

The listing (primary exchange, else a non-SMART exchange, and the currency) picks the
schedule, never the router name ``SMART``; the route (``"SMART"`` or ``"DIRECT"``) picks
between the listing's SmartRouted and direct-routed rows; the trade date picks the US
regulatory fees in force (:mod:`rp_tui.inputs.fee_regulatory`). Everything resolved ends up
in a :class:`~rp_tui.domain.fee_model.FeeSchedule`, so order sizing only evaluates arrays.

Entry points: :func:`fee_table` (one table, e.g. for today's plan), :func:`dated_fees` (a
cached ``fees_on(date)`` for backtests), :func:`fee_notes` and :func:`history_note` (text
for the preview and the backtest report), :func:`conversion_fee` / :func:`conversion_tiers`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields, replace
from functools import cache
from importlib import resources

import numpy as np

from rp_tui.domain.fee_model import NO_FEES, FeeSchedule, FeeTable
from rp_tui.domain.fx_conversion import Tier
from rp_tui.errors import ConfigError
from rp_tui.inputs.fee_regulatory import (
    DateLike,
    as_day,
    breakpoints,
    charged_series,
    history_start,
    rates_on,
    unverified_spans,
)
from rp_tui.inputs.portfolio import Asset

ROUTES = ("SMART", "DIRECT")
_FIELDS = {f.name for f in fields(FeeSchedule)}


@cache
def _fee_data() -> dict:
    return tomllib.loads(resources.files("rp_tui.data").joinpath("fees.toml").read_text("utf-8"))


def _schedule(key: str) -> tuple[FeeSchedule, dict]:
    """The base schedule ``key`` (no dated fees yet) and its data row."""
    row = _fee_data()["schedules"][key]
    known = {k: v for k, v in row.items() if k in _FIELDS}
    if "tiers" in known:
        known["tiers"] = tuple((float(t), float(r)) for t, r in known["tiers"])
    return FeeSchedule(key=key, **known), row


def _region_of(names: str | Sequence[str]) -> tuple[str, dict]:
    """A schedule's ``regulatory`` value: one region, or several merged left to right (a
    later region's series replace an earlier one's: ``["us", "us-alpaca"]`` is SEC and TAF
    of ``us`` with Alpaca's CAT). Returns its name (``us+us-alpaca``) and its series."""
    names = [names] if isinstance(names, str) else list(names)
    merged: dict = {}
    for name in names:
        merged.update(_fee_data()["regulatory"][name])
    return "+".join(names), merged


@cache
def fee_schedules() -> dict[str, FeeSchedule]:
    """Every schedule of the data file by key (e.g. ``"ibkr-fixed-us"``), without the dated
    regulatory fees (see :func:`schedule_for`)."""
    return {key: _schedule(key)[0] for key in _fee_data()["schedules"]}


def order_route(asset: Asset) -> str:
    """``"SMART"`` when ``asset`` is sent to IBKR's router, else ``"DIRECT"`` (its exchange)."""
    return "SMART" if asset.exchange.upper() == "SMART" else "DIRECT"


def listing_of(asset: Asset) -> tuple[str | None, str]:
    """The listing region (``"us"``, ``"lse"``, ``"eu"``; ``None``: unknown) of ``asset``
    and a note when it had to be inferred from the currency (else ``""``)."""
    data = _fee_data()
    venue = asset.primary_exchange or (asset.exchange if asset.exchange != "SMART" else "")
    if venue:
        for name, region in data["listings"].items():
            if venue.upper() in region["exchanges"]:
                return name, ""
        return None, ""
    name = data.get("smart_listing", {}).get(asset.currency)
    note = (
        f"{asset.symbol}: SMART without primary_exchange, listing taken as {name} from its currency"
    )
    return name, note if name else ""


def _unknown(plan: str, asset: Asset) -> ConfigError:
    return ConfigError(
        "portfolio.toml",
        f"no {plan} commission schedule for {asset.symbol} on {asset.exchange} in "
        f'{asset.currency}; use a US, LSE or EUR listing, or [fees] plan = "none"',
        key="assets",
    )


def _rate(fx: Mapping[str, float] | None, unit: str, into: str) -> float | None:
    """Units of ``into`` per unit of ``unit`` from values in a common currency, or ``None``."""
    if unit == into:
        return 1.0
    if fx and fx.get(unit) and fx.get(into):
        return float(fx[unit]) / float(fx[into])
    return None


def schedule_for(
    plan: str,
    asset: Asset,
    *,
    on: DateLike = None,
    route: str = "SMART",
    month_to_date_shares: float = 0.0,
    month_to_date_value: float = 0.0,
    fx: Mapping[str, float] | None = None,
    liquidity: str = "remove",
) -> FeeSchedule:
    """The resolved schedule that prices an order in ``asset``.

    Args:
        plan: ``"ibkr-fixed"``, ``"ibkr-tiered"``, ``"alpaca"`` (US listings: no
            commission, regulatory fees passed on) or ``"none"``.
        asset: the listing; its primary exchange (else a non-SMART exchange) and currency
            decide the schedule.
        on: trade date for the dated regulatory fees; ``None``: today's (latest) rates.
        route: ``"SMART"`` (IBKR's router, the default) or ``"DIRECT"`` (an order naming an
            exchange; US: IBKR's API direct-routed rate, Tiered accounts billed at Fixed).
        month_to_date_shares: shares traded this month before this order (share tiers:
            US Tiered).
        month_to_date_value: value traded this month before this order, listing currency
            (value tiers: EUR Tiered).
        fx: value of one unit of each currency in a common currency (e.g. base per unit),
            to convert fees IBKR states in another currency (LSE GBP fees on USD lines).
        liquidity: ``"remove"`` (marketable orders, the default) or ``"add"``: the venue
            fee estimate of US Tiered orders.

    Raises:
        ConfigError: no schedule covers that listing; names the symbol, exchange, currency.
    """
    if plan == "none":
        return NO_FEES
    data = _fee_data()
    region, listing_note = listing_of(asset)
    rows = data["listings"].get(region, {}).get(plan, {}) if region else {}
    if asset.currency not in rows:
        raise _unknown(plan, asset)
    by_route = rows[asset.currency]
    route = route.upper()
    if route not in ROUTES:
        raise ValueError(f"route {route!r}: use one of {', '.join(ROUTES)}")
    notes = [listing_note] if listing_note else []
    key = by_route.get(route.lower())
    if key is None:
        key = by_route["smart"]
        notes.append(
            f"no direct-routing schedule known for {region} {asset.currency}: priced as SmartRouted"
        )
    elif route == "DIRECT" and plan == "ibkr-tiered" and key != by_route["smart"]:
        notes.append("direct-routed API order: Tiered accounts are billed the Fixed rate")
    base, row = _schedule(key)
    if row.get("note"):
        notes.append(str(row["note"]))
    changes: dict = {}
    if row.get("regulatory"):
        rates = rates_on(_region_of(row["regulatory"])[1], on, charged_series(row))
        changes.update(
            sell_rate_of_value=rates.sec_rate,
            sell_per_share=rates.taf_per_share,
            sell_maximum=rates.taf_maximum,
            cat_per_share=rates.cat_per_share,
        )
        passes = {"nyse": rates.nyse_pass_through, "finra": rates.finra_pass_through}
        changes["pass_through_rate"] = sum(passes[p] for p in row.get("pass_through", ()))
        notes.extend(rates.notes)
        if rates.confidence == "U" and base.confidence != "U":
            changes["confidence"] = "U"
    if row.get("exchange"):
        venue = data["exchange_fees"][row["exchange"]]
        changes["exchange_per_share"] = float(venue[liquidity])
        notes.append(
            f"exchange fee estimated at {base.currency} {venue[liquidity]}/share "
            f"({liquidity} liquidity, IBKR's NASDAQ/NYSE example); venues vary"
        )
    if base.tiers:
        before = month_to_date_value if base.tier_unit == "value" else month_to_date_shares
        changes["month_to_date"] = float(before or 0.0)
        notes.append(
            f"volume tier from {changes['month_to_date']:,.0f} {base.tier_unit} traded this "
            "month (IBKR updates it once a day)"
        )
    extra = row.get("extra_currency", base.currency)
    if extra != base.currency:
        rate = _rate(fx, extra, base.currency)
        if rate is None:
            rate = 1.0
            notes.append(f"{extra} exchange/clearing fees taken 1:1 in {base.currency} (no rate)")
        changes["extra_minimum"] = base.extra_minimum * rate
        changes["extra_per_order"] = base.extra_per_order * rate
    return replace(base, **changes, notes=tuple(notes))


def _per_asset(value, n: int, what: str) -> list:
    if value is None or isinstance(value, (str, int, float)):
        return [value] * n
    values = list(value)
    if len(values) != n:
        raise ValueError(f"{what}: {len(values)} values for {n} assets")
    return values


def fee_table(
    plan: str,
    assets: Sequence[Asset],
    *,
    on: DateLike = None,
    route: str | Sequence[str] = "SMART",
    month_to_date_shares: float | Sequence[float] | None = None,
    month_to_date_value: float | Sequence[float] | None = None,
    fx: Mapping[str, float] | None = None,
    liquidity: str = "remove",
) -> FeeTable:
    """One resolved schedule per asset, in asset order (see :func:`schedule_for`).

    Args:
        plan, on, fx, liquidity: as :func:`schedule_for`.
        route: one route for all, or one per asset (e.g. ``[order_route(a) for a in assets]``).
        month_to_date_shares: shares traded this month before these orders (one number or
            one per asset); used by share tiers (US Tiered). ``None``: 0.
        month_to_date_value: value traded this month, listing currency, for value tiers
            (EUR Tiered). ``None``: 0.

    Raises:
        ConfigError: a listing without a schedule. ValueError: a bad route or length.
    """
    n = len(assets)
    routes = _per_asset(route, n, "route")
    shares = _per_asset(month_to_date_shares, n, "month_to_date_shares")
    values = _per_asset(month_to_date_value, n, "month_to_date_value")
    schedules = [
        schedule_for(
            plan,
            asset,
            on=on,
            route=r,
            month_to_date_shares=s or 0.0,
            month_to_date_value=v or 0.0,
            fx=fx,
            liquidity=liquidity,
        )
        for asset, r, s, v in zip(assets, routes, shares, values, strict=True)
    ]
    return FeeTable(schedules)


def fee_notes(plan: str, assets: Sequence[Asset], **kwargs) -> tuple[tuple[str, ...], ...]:
    """Per asset: assumptions and unverified figures of its estimate, for the preview.

    ``kwargs`` as :func:`fee_table`. A schedule of confidence ``"U"`` always has a note
    ending in ``"unverified"``.
    """
    return fee_table(plan, assets, **kwargs).notes


def _regions(plan: str, assets: Sequence[Asset]) -> dict[str, tuple[dict, set[str]]]:
    """The regulatory regions the schedules of ``assets`` use: name → (series, charged)."""
    if plan == "none":
        return {}
    data = _fee_data()
    used: dict[str, tuple[dict, set[str]]] = {}
    for asset in assets:
        region, _ = listing_of(asset)
        rows = data["listings"].get(region, {}).get(plan, {}) if region else {}
        for key in rows.get(asset.currency, {}).values():
            row = data["schedules"][key]
            if row.get("regulatory"):
                name, series = _region_of(row["regulatory"])
                _, charged = used.setdefault(name, (series, set()))
                charged.update(charged_series(row))
    return used


def dated_fees(
    plan: str,
    assets: Sequence[Asset],
    *,
    route: str | Sequence[str] = "SMART",
    fx: Mapping[str, float] | None = None,
) -> Callable[[DateLike], FeeTable] | None:
    """``fees_on(date) -> FeeTable``: the fees in force on each trade date, for backtests.

    Tables are built once per regulatory period (between two rate changes) and cached, so
    calling it on every rebalance costs a search and a dictionary lookup. ``None`` when
    nothing is dated (plan ``"none"``, no US listing): use the plain table instead.
    """
    regions = _regions(plan, assets)
    if not regions:
        return None
    breaks = np.unique(np.concatenate([breakpoints(r) for r, _ in regions.values()]))
    tables: dict[int, FeeTable] = {}
    # a sweep asks again for each of its points: one lookup by the day as given (a backtest
    # passes datetime.date, whose lookup is ~25 times a datetime64's)
    by_day: dict[DateLike, FeeTable] = {}

    def fees_on(day: DateLike) -> FeeTable:
        table = by_day.get(day)
        if table is not None:
            return table
        when = as_day(day)
        period = -1 if when is None else int(np.searchsorted(breaks, when, side="right"))
        table = tables.get(period)
        if table is None:
            on = when if period <= 0 else breaks[period - 1]
            table = tables[period] = fee_table(plan, assets, on=on, route=route, fx=fx)
        by_day[day] = table
        return table

    return fees_on


def history_note(plan: str, assets: Sequence[Asset], start: DateLike, end: DateLike) -> str:
    """What a backtest from ``start`` to ``end`` charges, in a few sentences for its report.

    Says that US regulatory fees are those of each trade date, where no history is known
    (today's used instead), which unverified figures were in force, and that IBKR's own
    commissions are today's schedule throughout. ``""`` for plan ``"none"``.
    """
    if plan == "none":
        return ""
    parts = [
        "Alpaca: no commission"
        if plan == "alpaca"
        else "IBKR commissions: today's schedule throughout (their history is not kept)"
    ]
    for region, charged in _regions(plan, assets).values():
        parts.append("US regulatory fees (SEC, FINRA TAF, CAT): those in force on each trade date")
        first = history_start(region)
        if start is not None and as_day(start) < first:
            parts.append(f"No fee history before {first}: earlier trades pay today's rates")
        spans = unverified_spans(region, start, end, charged)
        if spans:
            parts.append("Unverified: " + "; ".join(spans))
    return ". ".join(parts) + "."


def conversion_fee(plan: str) -> tuple[float, float, str]:
    """``(rate_of_value, minimum, minimum's currency)`` of one currency conversion under
    ``plan`` (IBKR IDEALPRO first tier for both IBKR plans; nothing under ``"none"``)."""
    if plan == "none":
        return 0.0, 0.0, "USD"
    data = _fee_data()["conversion"]["ibkr"]
    return float(data["rate_of_value"]), float(data["minimum"]), str(data["currency"])


def conversion_tiers(plan: str) -> tuple[Tier, ...]:
    """IDEALPRO monthly volume tiers ``(threshold USD, rate, minimum USD)`` under ``plan``
    (for :func:`rp_tui.domain.fx_conversion.tiered_conversion_commission`); ``()`` for
    ``"none"``."""
    if plan == "none":
        return ()
    rows = _fee_data()["conversion"]["ibkr"]["tiers"]
    return tuple((float(t), float(r), float(m)) for t, r, m in rows)
