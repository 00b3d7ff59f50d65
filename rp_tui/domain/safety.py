"""Pre-trade checks every confirmed order passes before it may leave (order-safety items 1-4, 6, 8).

Pure functions over plain numbers: the broker layer gathers quotes, NAV and the trading
state, and refuses to send anything these checks object to.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class TradingState(StrEnum):
    """A persistent kill switch: ``ACTIVE`` trades, ``REDUCING`` only sells, ``HALTED`` nothing."""

    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"
    HALTED = "HALTED"


@dataclass(frozen=True)
class SafetyLimits:
    """Caps and tolerances. Money in base currency; ``price_band`` a fraction (0.02 = 2 %).

    Attributes:
        max_order_notional: largest single order.
        max_run_notional: largest sum of orders in one run.
        max_order_pct_nav: largest single order as a fraction of NAV.
        max_order_shares: largest share count of one order.
        price_band: a reference / limit price must lie within this fraction of a fresh quote.
        quote_ttl_seconds: a quote older than this is no quote.
    """

    max_order_notional: float = 50_000.0
    max_run_notional: float = 250_000.0
    max_order_pct_nav: float = 0.30
    max_order_shares: float = 10_000.0
    price_band: float = 0.02
    quote_ttl_seconds: float = 120.0


@dataclass(frozen=True)
class OrderCheck:
    """What the checks need to know about one order.

    Attributes:
        symbol, side: the order (``"BUY"`` / ``"SELL"``).
        quantity: shares, > 0.
        price: the limit (or reference) price the order will carry, listing currency.
        notional_base: ``quantity × price`` in base currency.
        quote: a fresh quote's price in listing currency, or NaN when none arrived.
        quote_age_seconds: age of that quote.
    """

    symbol: str
    side: str
    quantity: float
    price: float
    notional_base: float
    quote: float
    quote_age_seconds: float


def check_orders(
    orders: Sequence[OrderCheck],
    nav: float,
    limits: SafetyLimits,
    state: TradingState,
    whole_shares: bool = True,
) -> list[str]:
    """Every reason to refuse ``orders`` (empty when they may be sent).

    Args:
        orders: the run's orders.
        nav: NAV in base currency; unknown (NaN) or ≤ 0 refuses every order.
        limits: caps and the price band.
        state: the trading state; HALTED refuses all, REDUCING refuses buys.
        whole_shares: refuse fractional quantities (False: a broker taking fractional
            orders under ``[rebalancing] fractional``; quantities must still be > 0).

    Returns:
        One message per violation, each naming the symbol and the limit.
    """
    problems: list[str] = []
    if state is TradingState.HALTED and orders:
        return ["trading is HALTED: no order may be sent (set the trading state to ACTIVE)"]
    if orders and not nav > 0:  # NaN when the broker has not sent it: no cap can be checked
        problems.append(f"NAV is unknown ({nav}): max_order_pct_nav cannot be checked")
    for o in orders:
        name = f"{o.side} {o.quantity:g} {o.symbol}"
        if state is TradingState.REDUCING and o.side == "BUY":
            problems.append(f"{name}: trading state is REDUCING, only sells are allowed")
        if not o.quantity > 0:
            problems.append(f"{name}: quantity must be a positive number of shares")
        elif whole_shares and o.quantity != math.floor(o.quantity):
            problems.append(f"{name}: quantity must be a positive whole number of shares")
        if o.quantity > limits.max_order_shares:
            problems.append(f"{name}: more than max_order_shares = {limits.max_order_shares:g}")
        if o.notional_base > limits.max_order_notional:
            problems.append(
                f"{name}: notional {o.notional_base:,.2f} above max_order_notional "
                f"{limits.max_order_notional:,.2f}"
            )
        if nav > 0 and o.notional_base > limits.max_order_pct_nav * nav:
            problems.append(
                f"{name}: {o.notional_base / nav:.1%} of NAV, above max_order_pct_nav "
                f"{limits.max_order_pct_nav:.0%}"
            )
        if not (o.quote > 0) or o.quote_age_seconds > limits.quote_ttl_seconds:
            problems.append(f"{name}: no fresh quote (older than {limits.quote_ttl_seconds:g} s)")
        elif abs(o.price / o.quote - 1.0) > limits.price_band:
            problems.append(
                f"{name}: price {o.price:g} is {abs(o.price / o.quote - 1):.2%} from the quote "
                f"{o.quote:g}, outside the {limits.price_band:.1%} band"
            )
    total = sum(o.notional_base for o in orders)
    if total > limits.max_run_notional:
        problems.append(
            f"run total {total:,.2f} above max_run_notional {limits.max_run_notional:,.2f}"
        )
    return problems


def round_to_tick(price: float, tick: float, side: str) -> float:
    """Round a limit price onto the contract's ``tick`` (minTick), never in the trader's
    disfavour: buys round down, sells round up.

    Raises:
        ValueError: a non-positive tick.
    """
    if not tick > 0:
        raise ValueError(f"minTick must be > 0, got {tick}")
    steps = price / tick
    steps = math.floor(steps + 1e-9) if side == "BUY" else math.ceil(steps - 1e-9)
    return round(steps * tick, 10)


def marketable_limit(side: str, quote: float, tolerance_bp: float, tick: float) -> float:
    """A limit price that crosses the spread by ``tolerance_bp`` basis points of ``quote``
    (the ask for buys, the bid for sells), rounded onto the tick."""
    factor = 1.0 + tolerance_bp / 10_000.0 if side == "BUY" else 1.0 - tolerance_bp / 10_000.0
    return round_to_tick(quote * factor, tick, side)


def is_paper_account(account: str) -> bool:
    """IBKR paper-trading accounts start with ``DU`` (live individual accounts with ``U``)."""
    return account.upper().startswith("DU")
