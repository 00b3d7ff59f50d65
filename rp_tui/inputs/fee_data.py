"""Load the commission schedules kept as data in ``rp_tui/data/fees.toml``."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

from rp_tui.domain.fee_model import NO_FEES, FeeSchedule, FeeTable
from rp_tui.errors import ConfigError
from rp_tui.inputs.portfolio import Asset


@cache
def _fee_data() -> dict:
    return tomllib.loads(resources.files("rp_tui.data").joinpath("fees.toml").read_text("utf-8"))


@cache
def fee_schedules() -> dict[str, FeeSchedule]:
    """Every schedule in the data file, by key (e.g. ``"ibkr-fixed-us"``)."""
    return {key: FeeSchedule(key=key, **fields) for key, fields in _fee_data()["schedules"].items()}


def schedule_for(plan: str, asset: Asset) -> FeeSchedule:
    """The schedule that prices an order in ``asset`` under fee ``plan``.

    Args:
        plan: ``"ibkr-fixed"``, ``"ibkr-tiered"`` or ``"none"``.
        asset: the listing (exchange / primary exchange and currency decide).

    Raises:
        ConfigError: no schedule covers that listing; names the symbol, exchange, currency.
    """
    if plan == "none":
        return NO_FEES
    venue = asset.primary_exchange or asset.exchange
    for region in _fee_data()["listings"].values():
        by_currency = region.get(plan, {})
        if (venue in region["exchanges"] or asset.exchange in region["exchanges"]) and (
            asset.currency in by_currency
        ):
            return fee_schedules()[by_currency[asset.currency]]
    raise ConfigError(
        "portfolio.toml",
        f"no {plan} commission schedule for {asset.symbol} on {asset.exchange} in "
        f'{asset.currency}; use a US, LSE or EUR listing, or [fees] plan = "none"',
        key="assets",
    )


def fee_table(plan: str, assets: tuple[Asset, ...]) -> FeeTable:
    """One schedule per asset, in asset order. Raises :class:`ConfigError` as above."""
    return FeeTable([schedule_for(plan, asset) for asset in assets])


def conversion_fee(plan: str) -> tuple[float, float, str]:
    """``(rate_of_value, minimum, minimum's currency)`` of a currency conversion under
    ``plan`` (IBKR IDEALPRO for both IBKR plans; nothing under ``"none"``)."""
    if plan == "none":
        return 0.0, 0.0, "USD"
    data = _fee_data()["conversion"]["ibkr"]
    return float(data["rate_of_value"]), float(data["minimum"]), str(data["currency"])
