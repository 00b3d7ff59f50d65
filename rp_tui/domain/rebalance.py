"""Order sizing: from holdings and target weights to whole-share orders that fit the cash.

Rules, in order:
1. NAV = cash + Σ quantity × price × fx (base currency). Target value of an asset =
   target weight × (1 − cash buffer) × NAV, so weights, targets and drift are all fractions
   of NAV.
2. An asset whose |drift| is within the band (absolute, fraction of NAV) is not traded.
3. Sells first: round to the nearest share, never more than held; a sale whose commission
   would eat its proceeds is skipped.
4. Buys are then sized on the cash after sales and their commissions, less the cash buffer:
   round down to whole shares, scale down together if they do not fit, then drop one share at
   a time from the largest buy until buys plus commissions fit.

Without frictions (a free fee table, fractional shares, no slippage, skip rules or FX) the
stages after the wanted trade values are those of :mod:`rp_tui.domain.frictionless`: the same
numbers in fewer array operations.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from rp_tui.domain.drift_cost import drift_cost_removed
from rp_tui.domain.fee_model import FeeTable
from rp_tui.domain.frictionless import frictionless, frictionless_orders
from rp_tui.domain.fx_conversion import order_conversion_fee
from rp_tui.domain.names import MODES
from rp_tui.domain.share_fitting import fit_buys, raise_in_full, water_fill
from rp_tui.domain.sizing_checks import Account, finish_orders

_SHARE_EPS = 1e-9  # rounding slack so float noise does not cost a whole share
# ndarray.sum's and .any()'s answers without their Python wrappers (~1 µs a call on the
# short arrays a plan works on): the same sums, and a count truthy exactly when any element is
_sum, _any = np.add.reduce, np.count_nonzero
_ZERO = np.zeros(())  # a 0-d operand: numpy 2 converts a Python scalar at every call (~0.2 µs)


@functools.lru_cache(maxsize=32, typed=True)  # typed: True and 1.0 are two arrays
def constant(n: int, value: float | bool) -> np.ndarray:
    """A read-only ``(n,)`` array of ``value`` (the unit FX rates, every asset allowed),
    made once per size rather than at every plan."""
    out = np.full(n, value)
    out.flags.writeable = False
    return out


@dataclass(frozen=True)
class RebalanceRules:
    """How a portfolio is brought back to its targets.

    Attributes:
        band: drift band. Absolute: a fraction of NAV (0.02 = ±2 percentage points);
            relative (``relative_band``): a fraction of each target (0.2 = ±20 % of it).
        cash_buffer: fraction of NAV kept in cash (0.01 = 1 %).
        whole_shares: trade whole shares only (``False`` allows fractional quantities).
        relative_band: read ``band`` as relative to each target.
        rebalance_all: once any asset is outside its band, trade every asset to target
            (default: only the assets outside the band).
        mode: ``full``; ``buy-only`` (never sell: spend the cash on the most underweight
            assets first, bands ignored); ``sell-only`` (raise cash from the most overweight
            assets first, e.g. for a withdrawal).
        min_trade_value: skip trades smaller than this, base currency.
        max_commission_ratio: skip a trade whose commission exceeds this fraction of the
            value it moves towards target (``inf`` = never skip).
        slippage_bp: fills this many basis points worse than the reference price.
        fx_rate_of_value: currency-conversion commission, a fraction of the base-currency
            value converted (IBKR IDEALPRO: 0.00002 = 0.2 bp), charged on each foreign
            currency's net flow (``currency_groups``).
        fx_minimum: its minimum per conversion, base currency.
        skip_uneconomic: skip a trade whose commission exceeds the drift cost it removes
            (:mod:`rp_tui.domain.drift_cost`; needs the covariance), with ``risk_aversion``
            the investor's λ.
    """

    band: float = 0.0
    cash_buffer: float = 0.0
    whole_shares: bool = True
    relative_band: bool = False
    rebalance_all: bool = False
    mode: str = "full"
    min_trade_value: float = 0.0
    max_commission_ratio: float = math.inf
    slippage_bp: float = 0.0
    fx_rate_of_value: float = 0.0
    fx_minimum: float = 0.0
    skip_uneconomic: bool = False
    risk_aversion: float = 4.0


@dataclass(frozen=True)
class RebalancePlan:
    """The orders of one rebalance; arrays have shape ``(n_assets,)``, in asset order.

    Attributes:
        nav: NAV before trading, base currency.
        weights: current weights, fractions of NAV.
        targets: target weights as fractions of NAV (allocation × (1 − cash buffer)).
        drift: ``weights - targets`` (fraction; × 100 for percentage points).
        quantities: signed shares to trade (> 0 buy, < 0 sell, 0 none).
        notional: ``|quantity| × price`` in each listing's currency.
        commissions: estimated commission per order, listing currency.
        cash_after: cash after every order and commission, base currency.
        total_commission: Σ commissions converted to base currency, with the
            currency-conversion commission (``fx_commission``).
        fill_prices: prices the orders fill at (reference ± slippage), ``(n_assets,)``.
    """

    nav: float
    weights: np.ndarray
    targets: np.ndarray
    drift: np.ndarray
    quantities: np.ndarray
    notional: np.ndarray
    commissions: np.ndarray
    cash_after: float
    total_commission: float
    fill_prices: np.ndarray | None = None
    fx_commission: float = 0.0


def _kept(q, exec_prices, fx, fees, rules, worth=None) -> np.ndarray:
    """``(n_assets,)`` bool: orders that pass the minimum size, the commission ratio and (with
    ``worth``, the drift cost each trade removes) the economic test."""
    value = np.abs(q) * exec_prices * fx
    keep = value >= rules.min_trade_value
    if math.isfinite(rules.max_commission_ratio) or worth is not None:
        commission = fees.commission(q, exec_prices) * fx
        if math.isfinite(rules.max_commission_ratio):
            keep &= commission <= rules.max_commission_ratio * value
        if worth is not None:
            keep &= commission <= worth(q)
    return keep


def _keeps_all(rules, worth) -> bool:
    """No rule can refuse an order: no minimum size, no commission ratio, no economic test
    (:func:`_kept` would be all True: a trade's value is ≥ 0)."""
    return (
        rules.min_trade_value <= 0
        and not math.isfinite(rules.max_commission_ratio)
        and worth is None
    )


def _everything(q: np.ndarray) -> np.ndarray:
    return np.ones(q.shape, dtype=bool)


def _skip_small(q, exec_prices, fx, fees, rules, worth=None) -> np.ndarray:
    """Drop trades below the minimum size, too dear for what they move, or (``worth``) that
    cost more than the drift they remove."""
    if _keeps_all(rules, worth):
        return q
    return np.where(_kept(q, exec_prices, fx, fees, rules, worth), q, 0.0)


def _conversion_fee(signed, buy_prices, sell_prices, fx, groups, rules) -> float:
    """IDEALPRO commission of the orders' conversions: one per foreign currency with a net
    flow (:func:`rp_tui.domain.fx_conversion.order_conversion_fee`), base currency."""
    if groups is None or not (rules.fx_rate_of_value or rules.fx_minimum):
        return 0.0
    return order_conversion_fee(
        signed, buy_prices, sell_prices, fx, groups, rules.fx_rate_of_value, rules.fx_minimum
    )


def plan_rebalance(
    quantities: np.ndarray,
    prices: np.ndarray,
    cash: float,
    targets: np.ndarray,
    rules: RebalanceRules,
    fees: FeeTable,
    fx: np.ndarray | None = None,
    frozen: np.ndarray | None = None,
    withdraw: float = 0.0,
    currency_groups: np.ndarray | None = None,
    covariance: np.ndarray | None = None,
    must_trade: np.ndarray | None = None,
) -> RebalancePlan:
    """Size the orders that bring holdings to ``targets`` under ``rules``.

    Args:
        quantities: shares held, shape ``(n_assets,)``, ≥ 0.
        prices: reference price per share in each listing's currency, ``(n_assets,)``, > 0.
        cash: cash in base currency.
        targets: allocation weights, ``(n_assets,)``, summing to 1 (before the cash buffer).
        rules: band, buffer, shares, mode, minimum trade, commission ratio, slippage.
        fees: commission schedules, one per asset.
        fx: base currency per unit of each listing's currency, ``(n_assets,)``; default 1.
        frozen: ``(n_assets,)`` bool, assets that must not be traded (e.g. no fresh price);
            their price still values the holding.
        withdraw: cash to set aside for a withdrawal, base currency: targets are sized on
            ``NAV − withdraw`` and ``cash_after`` still contains it.
        currency_groups: ``(n_assets,)`` int from
            :func:`rp_tui.domain.fx_conversion.currency_groups` (−1 for the base currency):
            each foreign currency's net flow is one conversion paying ``rules.fx_*``.
        covariance: ``(n_assets, n_assets)`` covariance of daily returns; needed by
            ``rules.skip_uneconomic`` (the drift cost a trade removes).
        must_trade: ``(n_assets,)`` bool, assets traded to target whatever their band (a
            holding outside the portfolio that the policy sells to zero).

    Returns:
        A :class:`RebalancePlan`. Sells never exceed holdings; buys plus all commissions never
        exceed cash after sales less the buffer (and never make cash negative).

    Raises:
        ValueError: a non-finite or non-positive price, NAV ≤ 0, or ``skip_uneconomic``
            without a covariance.
    """
    quantities = np.asarray(quantities, dtype=float)
    prices = np.asarray(prices, dtype=float)
    fx_given = fx
    fx = 1.0 if fx is None else np.asarray(fx, dtype=float)
    if not (math.isfinite(np.add.reduce(prices)) and np.minimum.reduce(prices) > 0):
        raise ValueError("every price must be finite and > 0")
    values = quantities * prices if fx_given is None else quantities * prices * fx  # x·1 is x
    nav = cash + _sum(values)
    if nav <= 0:
        raise ValueError(f"NAV must be > 0 to rebalance, got {nav}")
    weights = values / nav
    targets_nav = np.asarray(targets, dtype=float) * (1.0 - rules.cash_buffer)
    drift = weights - targets_nav
    target_values = targets_nav * (nav - withdraw)
    allowed = True if frozen is None else ~np.asarray(frozen, dtype=bool)
    if rules.mode not in MODES:
        raise ValueError(f"unknown rebalance mode {rules.mode!r}; choose {', '.join(MODES)}")
    slip = rules.slippage_bp / 10_000.0
    buy_prices, sell_prices = (
        (prices * (1.0 + slip), prices * (1.0 - slip)) if slip else (prices,) * 2
    )
    reserve = rules.cash_buffer * (nav - withdraw) + withdraw
    worth = None  # the drift cost each trade removes, base currency (skip_uneconomic)
    if rules.skip_uneconomic:
        if covariance is None:
            raise ValueError("skip_uneconomic needs the covariance of the assets")
        unit = prices * fx / nav

        def worth(q: np.ndarray) -> np.ndarray:
            return drift_cost_removed(drift, q * unit, covariance, rules.risk_aversion, nav)

    if rules.mode == "full":
        limit = rules.band * targets_nav if rules.relative_band else rules.band
        tradable = np.abs(drift) > limit
        if must_trade is not None:
            tradable |= np.asarray(must_trade, dtype=bool)
        if frozen is not None:
            tradable &= allowed
        if not _any(tradable):  # every asset within its band: the sizing below trades nothing
            none = np.zeros(prices.shape)  # (no currency groups: no conversion, 0.0)
            conversion = _conversion_fee(none, buy_prices, sell_prices, fx, currency_groups, rules)
            return RebalancePlan(
                nav=float(nav),
                weights=weights,
                targets=targets_nav,
                drift=drift,
                quantities=none,
                notional=np.zeros(prices.shape),
                commissions=np.zeros(prices.shape),
                cash_after=cash - 0.0 - conversion,
                total_commission=0.0 + conversion,
                fill_prices=prices.copy() if slip else prices,
                fx_commission=conversion,
            )
        if rules.rebalance_all:
            tradable = np.broadcast_to(allowed, tradable.shape)
        delta = np.where(tradable, target_values - values, _ZERO)
    elif rules.mode == "sell-only":  # raise the reserve from the most overweight first
        excess = np.where(allowed, values - target_values, 0.0)
        delta = -water_fill(excess, max(reserve - cash, 0.0) * (1.0 + slip) + 1e-9)
        short = max(reserve - cash, 0.0) - _sum(-delta)
        if short > 1e-9:  # not enough overweight: take the rest pro rata
            delta -= water_fill(np.where(allowed, values + delta, 0.0), short)
    else:  # buy-only: fill the most underweight first with the cash beyond the reserve
        deficit = np.where(allowed, target_values - values, 0.0)
        delta = water_fill(deficit, cash - reserve)

    if frictionless(rules, fees, fx_given, frozen, currency_groups):  # the same orders, sooner
        signed, cash_after = frictionless_orders(
            quantities, prices, cash, values, delta, target_values, nav, reserve, fees
        )
        return RebalancePlan(  # as _plan's: no commission, no conversion, fills at prices
            nav=float(nav),
            weights=weights,
            targets=targets_nav,
            drift=drift,
            quantities=signed,
            notional=np.abs(signed) * prices,
            commissions=fees.commission(signed, prices),
            cash_after=cash_after,
            total_commission=0.0,
            fill_prices=prices,
        )
    shares = delta / prices if fx_given is None else delta / (prices * fx)  # x·1 is x
    if rules.whole_shares:
        if not _any(np.rint(quantities) != quantities):
            fees = fees.for_whole_shares()  # whole holdings: every order below is whole shares
        sells = np.minimum(np.rint(np.maximum(-shares, _ZERO)), quantities)  # np.round's, sooner
        if rules.mode == "sell-only":  # round up: the reserve must be met
            sells = np.minimum(np.ceil(np.maximum(-shares, 0.0) - _SHARE_EPS), quantities)
        buys = np.floor(np.maximum(shares, _ZERO) + _SHARE_EPS)  # 24.9999999 is 25
    else:
        sells = np.minimum(np.maximum(-shares, 0.0), quantities)
        buys = np.maximum(shares, 0.0)

    if not _keeps_all(rules, worth):  # (-(-x) is x)
        sells = -_skip_small(-sells, sell_prices, fx, fees, rules, worth)
    sell_commissions = fees.commission(-sells, sell_prices)
    if not fees.free and _any(sells):  # (no sale: nothing to weigh)
        worthless = sell_commissions >= sells * sell_prices  # never pay more than a sale brings
        sells = np.where(worthless, _ZERO, sells)
        sell_commissions = np.where(worthless, _ZERO, sell_commissions)
    proceeds = sells * sell_prices - sell_commissions
    cash_after_sells = cash + float(_sum(proceeds if fx_given is None else proceeds * fx))
    if rules.mode == "sell-only" and rules.whole_shares:  # the commissions are raised too
        sells = raise_in_full(
            sells, quantities, values, target_values, allowed, reserve, cash, sell_prices, fx, fees
        )
        sells = -_skip_small(-sells, sell_prices, fx, fees, rules, worth)  # rules still apply
        sell_commissions = fees.commission(-sells, sell_prices)
        cash_after_sells = cash + float(_sum((sells * sell_prices - sell_commissions) * fx))

    budget = min(cash_after_sells - reserve, cash_after_sells)
    conversion = (
        _conversion_fee(buys - sells, buy_prices, sell_prices, fx, currency_groups, rules)
        if currency_groups is not None
        else 0.0
    )
    buys, buy_commissions = fit_buys(
        buys, buy_prices, fx, fees, budget - conversion, rules.whole_shares
    )
    kept = _skip_small(buys, buy_prices, fx, fees, rules, worth)
    if kept is not buys:  # a skipped order's commission is 0, as pricing it would give
        buys, buy_commissions = kept, np.where(kept > 0, buy_commissions, 0.0)
    account = Account(
        quantities,
        prices,
        buy_prices,
        sell_prices,
        fx if getattr(fx, "ndim", 0) == 1 else constant(len(prices), float(fx)),
        cash,
        target_values,
        nav - float(_sum(target_values)),
        fees,
        None
        if currency_groups is None
        else (lambda q: _conversion_fee(q, buy_prices, sell_prices, fx, currency_groups, rules)),
    )
    sized = buys - sells
    priced = buy_commissions + sell_commissions  # an asset buys or sells, not both: x + 0 is x
    # leftovers buy more only when this is a rebalance (something trades) or a deposit
    spend = rules.whole_shares and rules.mode != "sell-only"
    spend &= bool(_any(sized)) or rules.mode == "buy-only"
    signed, known = finish_orders(
        sized,
        account,
        reserve,
        (constant(len(prices), True) if allowed is True else allowed) if spend else None,
        _everything
        if _keeps_all(rules, worth)
        else lambda q: _kept(q, np.where(q > 0, buy_prices, sell_prices), fx, fees, rules, worth),
        priced,
    )
    fill_prices = (
        np.where(signed > 0, buy_prices, np.where(signed < 0, sell_prices, prices))
        if slip
        else prices
    )
    if currency_groups is not None:
        conversion = _conversion_fee(signed, buy_prices, sell_prices, fx, currency_groups, rules)
    return _plan(
        nav, weights, targets_nav, drift, signed, fill_prices, cash, fx, conversion, fees, known
    )


def _plan(nav, weights, targets, drift, signed, fill_prices, cash, fx, conversion, fees, known):
    """The :class:`RebalancePlan` of the orders ``signed`` filled at ``fill_prices`` (arrays
    ``(n_assets,)``; ``fx`` base per listing currency; ``conversion`` its commission, base;
    ``known``: the orders' commissions when already priced, else ``None``)."""
    commissions = fees.commission(signed, fill_prices) if known is None else known
    spent, paid = signed * fill_prices + commissions, commissions
    if not (isinstance(fx, float) and fx == 1.0):  # x·1 is x: no multiplying without FX
        spent, paid = spent * fx, paid * fx
    return RebalancePlan(
        nav=float(nav),
        weights=weights,
        targets=targets,
        drift=drift,
        quantities=signed,
        notional=np.abs(signed) * fill_prices,
        commissions=commissions,
        cash_after=cash - float(_sum(spent)) - conversion,
        total_commission=float(_sum(paid)) + conversion,
        fill_prices=fill_prices,
        fx_commission=conversion,
    )
