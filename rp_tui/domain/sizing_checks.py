"""The last stage of order sizing: spend idle proceeds, keep the cash floor, and never leave
the account further from its targets than not trading at all.

Distance is the L1 norm of (weights − targets) over the assets *and* cash, each a fraction of
the NAV of that state (NAV after trading is smaller by the fees paid), so a trade must
improve the allocation by more than it costs. Not trading is always allowed, so a plan whose
distance is larger than the account's own is replaced by no trade.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rp_tui.domain.fee_model import FeeTable
from rp_tui.domain.share_fitting import water_fill

MAX_TOP_UPS_PER_ASSET = 4  # leftovers after floor rounding are worth < 1 share per asset
CASH_EPS = 1e-6  # base currency: float noise, not money
_SHARE_EPS = 1e-9  # 24.9999999 shares is 25
# ndarray.sum's and .any()'s answers without their Python wrappers (~1 µs a call on short
# arrays): the same sums, and a count that is truthy exactly when any element is
_sum, _any = np.add.reduce, np.count_nonzero
_ZERO = np.zeros(())  # a 0-d operand: numpy 2 converts a Python scalar at every call (~0.2 µs)


@dataclass(frozen=True)
class Account:
    """The account an order set is sized for; arrays ``(n_assets,)`` in asset order.

    Attributes:
        held: shares held. prices: reference prices (listing currency), > 0.
        buy_prices, sell_prices: fill prices of buys and sells (reference ± slippage).
        fx: base currency per unit of each listing's currency. cash: base currency.
        target_values: wanted value of each asset after trading, base currency.
        cash_target: wanted cash after trading (buffer, withdrawal, untargeted weight), base.
        fees: commission schedules. conversion: the currency-conversion commission of a
            signed order vector, base currency (``None``: no listing needs one).
    """

    held: np.ndarray
    prices: np.ndarray
    buy_prices: np.ndarray
    sell_prices: np.ndarray
    fx: np.ndarray
    cash: float
    target_values: np.ndarray
    cash_target: float
    fees: FeeTable
    conversion: Callable[[np.ndarray], float] | None = None
    unit_values: np.ndarray = field(init=False)  # one share, base currency, reference price
    unit_buy: np.ndarray = field(init=False)  # one share bought, base currency, fill price
    goal: np.ndarray = field(init=False)  # target fractions, assets then cash, (n_assets + 1,)
    cheapest_buy: float = field(init=False)  # min unit_buy: less spare cash buys no share
    _one_fill_price: bool = field(init=False)  # buys and sells fill at the same prices
    _unit_fx: bool = field(init=False)  # every listing in base currency: amounts x·1 are x

    def __post_init__(self) -> None:
        # set once here, not as cached properties: every sizing reads them, and Python
        # 3.11's cached_property takes a lock on each first read (~1 µs, 4 per plan)
        total = float(_sum(self.target_values)) + self.cash_target
        unit_buy = self.buy_prices * self.fx
        for name, value in (
            ("unit_values", self.prices * self.fx),
            ("unit_buy", unit_buy),
            ("goal", _with_cash(self.target_values, self.cash_target) / total),
            ("cheapest_buy", float(np.minimum.reduce(unit_buy, initial=np.inf))),
            ("_one_fill_price", self.buy_prices is self.sell_prices),
            ("_unit_fx", not _any(self.fx != 1.0)),
        ):
            object.__setattr__(self, name, value)

    def hold_distance(self) -> float:
        """The distance of not trading at all (see :meth:`distance`)."""
        values = _with_cash(self.held * self.unit_values, self.cash)
        nav = _sum(values)
        return float(_sum(np.abs(values / nav - self.goal))) if nav > 0 else np.inf

    def cash_after(self, signed: np.ndarray, commissions: np.ndarray | None = None) -> float:
        """Cash after ``signed`` shares trade, every commission and conversion paid, base.
        ``commissions``: those of ``signed`` at its fill prices, when already priced."""
        return self.settle(signed, commissions)[0]

    def settle(
        self, signed: np.ndarray, commissions: np.ndarray | None = None
    ) -> tuple[float, np.ndarray]:
        """:meth:`cash_after`, and the commissions of ``signed`` at its fill prices,
        ``(n_assets,)`` in listing currency (``commissions`` itself when given)."""
        if self._one_fill_price:
            fill = self.buy_prices
        else:
            fill = np.where(signed > 0, self.buy_prices, self.sell_prices)
        if commissions is None:
            commissions = self.fees.commission(signed, fill)
        spent = signed * fill + commissions
        spent = float(_sum(spent if self._unit_fx else spent * self.fx))
        conversion = self.conversion(signed) if self.conversion else 0.0
        return self.cash - spent - conversion, commissions

    def distance(self, signed: np.ndarray, cash: float | None = None) -> float:
        """L1 distance of the weights (assets and cash) from target after trading
        ``signed``, in fractions of the NAV after trading; ``inf`` when that NAV is ≤ 0.
        ``cash``: :meth:`cash_after` when already known."""
        cash = self.cash_after(signed) if cash is None else cash
        values = _with_cash((self.held + signed) * self.unit_values, cash)
        nav = _sum(values)
        return float(_sum(np.abs(values / nav - self.goal))) if nav > 0 else float("inf")


def _with_cash(values: np.ndarray, cash: float) -> np.ndarray:
    """``values`` ``(n,)`` with ``cash`` appended, ``(n + 1,)`` (np.append's, sooner)."""
    out = np.empty(values.shape[0] + 1)
    out[:-1] = values
    out[-1] = cash
    return out


def spend_leftovers(
    signed: np.ndarray,
    account: Account,
    floor: float,
    allowed: np.ndarray,
    acceptable: Callable[[np.ndarray], np.ndarray],
    cash: float,
) -> tuple[np.ndarray, float]:
    """Buy whole shares with the cash that whole-share rounding left above ``floor``, one
    at a time, each for the asset whose extra share brings the account closest to target,
    while a share still fits and still helps.

    Args:
        signed: shares to trade, ``(n_assets,)`` (> 0 buy, < 0 sell).
        account: the account being sized.
        floor: cash that must remain after every fee, base currency (the reserve).
        allowed: ``(n_assets,)`` bool, assets that may be bought.
        acceptable: maps signed order vectors, ``(n_assets,)`` or ``(m, n_assets)``, to the
            bool of orders that pass the minimum-trade and commission-ratio rules (same
            shape; elementwise: each order judged on its own quantity).
        cash: :meth:`Account.cash_after` of ``signed``.

    Returns:
        The orders with the extra shares, ``(n_assets,)`` (``signed`` itself when none fits),
        and the cash after them, base currency.

    Each step changes one asset, and without a currency conversion an asset's commission
    and rules depend on its own quantity only: so every quantity the loop can reach is
    priced and judged once, up front (``(steps + 2, n_assets)`` grids), and each step only
    compares the candidates' distances. The arithmetic of each distance is the same as
    re-pricing everything at each step (:func:`_spend_one_share_at_a_time`), so the orders
    are identical.
    """
    return _spend_leftovers(signed, account, floor, allowed, acceptable, cash, None)[:2]


def _spend_leftovers(signed, account, floor, allowed, acceptable, cash, commissions):
    """:func:`spend_leftovers`, and the commissions of the orders it returns, ``(n_assets,)``
    at their fill prices, given ``commissions``, those of ``signed`` (else ``None``): the
    grid priced every asset it may buy, and it changes no other."""
    if account.conversion is not None:
        signed, cash = _spend_one_share_at_a_time(signed, account, floor, allowed, acceptable, cash)
        return signed, cash, None
    if not account.cheapest_buy <= cash - floor:  # no share fits: the first step finds none
        return signed, cash, commissions
    n = len(signed)
    steps = MAX_TOP_UPS_PER_ASSET * n
    buy, fx, unit, unit_buy, target = (
        account.buy_prices,
        account.fx,
        account.unit_values,
        account.unit_buy,
        account.target_values,
    )
    values = (account.held + signed) * unit
    # never wanted again once excluded: the loop only ever adds to assets with signed ≥ 0
    open_ = allowed & (signed >= _ZERO)
    if not _any(open_ & (values < target) & (unit_buy <= cash - floor)):
        return signed, cash, commissions  # the loop's first step would find no candidate
    given, signed = signed, signed.copy()
    reach = signed + np.arange(steps + 2, dtype=float)[:, None]  # after m more shares
    priced = account.fees.commission(reach, buy)  # (steps + 2, n), listing currency
    passes = acceptable(reach[1:])  # row m: the order after m + 1 more shares
    level = np.zeros(n, dtype=np.intp)  # shares added so far, per asset
    extra = priced[1] - priced[0]  # the next share's added commission
    cost = (buy + extra) * fx  # base currency the next share takes from cash
    ok = open_ & passes[0] & (values < target)  # per asset: changes only when it is bought
    # row j < n: values and cash if asset j gets one more share; row n: the account as it
    # is, whose distance the first step needs (Account.distance's arithmetic, row by row)
    after = np.empty((n + 1, n + 1))
    after[:, :n] = values
    after.reshape(-1)[: n * (n + 2) : n + 2] += unit  # the (j, j), j < n: a strided view
    after[n, n] = cash
    scratch = np.empty_like(after)
    add, goal, inf = np.add.reduce, account.goal, np.inf
    distance = None  # of the orders so far
    for _ in range(steps):
        cash_if = cash - cost
        wanted = ok & (unit_buy <= cash - floor)
        wanted &= cash_if >= floor - CASH_EPS
        if not _any(wanted):  # no candidate left: how nearly every run of this loop ends
            break
        after[:n, n] = cash_if
        np.divide(after, add(after, axis=1, keepdims=True), out=scratch)
        np.subtract(scratch, goal, out=scratch)
        every = add(np.abs(scratch, out=scratch), axis=1)
        if distance is None:  # (row n is left as it was: only this first step reads it)
            distance = float(every[n])
        distances = np.where(wanted, every[:n], inf)
        k = int(distances.argmin())
        if not distances[k] < distance:  # no candidate brings the account closer
            break
        signed[k] += 1.0
        cash, distance = float(cash_if[k]), float(distances[k])
        level[k] += 1
        m = level[k]
        values[k] = (account.held[k] + signed[k]) * unit[k]
        after[:n, k] = values[k]
        after[k, k] += unit[k]
        extra[k] = priced[m + 1, k] - priced[m, k]
        cost[k] = (buy[k] + extra[k]) * fx[k]
        ok[k] = open_[k] and passes[m, k] and values[k] < target[k]
    if not _any(level):  # no share added: the caller's own array
        return given, cash, commissions
    if commissions is not None:  # each bought asset's commission, from the grid
        commissions = np.where(open_, priced[level, np.arange(n)], commissions)
    return signed, cash, commissions


def fill_deficits(
    signed: np.ndarray,
    account: Account,
    floor: float,
    allowed: np.ndarray,
    acceptable: Callable[[np.ndarray], np.ndarray],
    cash: float,
) -> tuple[np.ndarray, float]:
    """Spend the cash above ``floor`` on the assets below their target value in one step,
    largest deficits first (:func:`~rp_tui.domain.share_fitting.water_fill`), in whole
    shares that stay within each deficit; kept only if it brings the account closer to
    target and every fee still fits. Cheap shares would otherwise need one step each in
    :func:`spend_leftovers`, which then only tops up what rounding leaves.

    Args and returns: as :func:`spend_leftovers`.
    """
    return _fill_deficits(signed, account, floor, allowed, acceptable, cash, None)[:2]


def _fill_deficits(signed, account, floor, allowed, acceptable, cash, commissions):
    """:func:`fill_deficits`, and the commissions of the orders it returns at their fill
    prices, ``(n_assets,)`` (``commissions``, those of ``signed``, when it adds nothing)."""
    spare = cash - floor
    # no deficit (nor the spare cash) holds one share, so none can be added: the water fill
    # gives each asset at most its deficit and the spare, and the 1e-6 margin dwarfs its
    # rounding and the 1e-9 share tolerance (most calls end here). Tested on the spare
    # alone first (min(u)·c is min(u·c): rounding is monotone), then on each deficit.
    if spare <= 0 or spare < account.cheapest_buy * (1.0 - 1e-6):
        return signed, cash, commissions
    values = (account.held + signed) * account.unit_values
    deficit = np.where(allowed & (signed >= _ZERO), account.target_values - values, _ZERO)
    deficit = np.maximum(deficit, _ZERO)
    if not _any(deficit):
        return signed, cash, commissions
    unit_cost = account.unit_buy
    if not _any(np.minimum(deficit, spare) >= unit_cost * (1.0 - 1e-6)):
        return signed, cash, commissions
    extra = np.floor(water_fill(deficit, spare) / unit_cost + _SHARE_EPS)
    if not _any(extra):  # not one share within any deficit: nothing to add
        return signed, cash, commissions
    trial = signed + extra
    trial_cash, paid = account.settle(trial)
    while trial_cash < floor - CASH_EPS and _any(extra):  # the commissions must fit too
        largest = int(np.argmax(extra * unit_cost))
        extra[largest] -= 1.0
        trial = signed + extra
        trial_cash, paid = account.settle(trial)
    added = extra > 0
    if not _any(added) or not acceptable(trial)[added].all():
        return signed, cash, commissions
    if account.distance(trial, trial_cash) < account.distance(signed, cash):
        return trial, trial_cash, paid
    return signed, cash, commissions


def _spend_one_share_at_a_time(
    signed: np.ndarray,
    account: Account,
    floor: float,
    allowed: np.ndarray,
    acceptable: Callable[[np.ndarray], np.ndarray],
    cash: float,
) -> tuple[np.ndarray, float]:
    """:func:`spend_leftovers` as first written: every candidate re-priced at each step.
    Kept for orders that pay a currency conversion (its commission is not per asset)."""
    signed = signed.copy()
    distance = account.distance(signed, cash)
    for _ in range(MAX_TOP_UPS_PER_ASSET * len(signed)):
        values = (account.held + signed) * account.unit_values
        wanted = allowed & (signed >= 0) & (values < account.target_values)
        wanted &= account.unit_buy <= cash - floor  # a share still fits
        if not wanted.any():
            break
        # every candidate at once: commissions and the rules are per asset
        more = signed + wanted
        extra = account.fees.commission(more, account.buy_prices) - account.fees.commission(
            signed, np.where(signed > 0, account.buy_prices, account.sell_prices)
        )
        cash_if = cash - (account.buy_prices + extra) * account.fx
        if account.conversion is not None:
            base = account.conversion(signed)
            for i in np.flatnonzero(wanted):
                trial = signed.copy()
                trial[i] += 1.0
                cash_if[i] -= account.conversion(trial) - base
        wanted &= (cash_if >= floor - CASH_EPS) & acceptable(more)
        candidates = np.flatnonzero(wanted)
        if candidates.size == 0:
            break
        after = np.tile(np.append(values, 0.0), (candidates.size, 1))
        rows = np.arange(candidates.size)
        after[rows, candidates] += account.unit_values[candidates]
        after[:, -1] = cash_if[candidates]
        navs = after.sum(axis=1, keepdims=True)
        distances = np.abs(after / navs - account.goal).sum(axis=1)
        k = int(np.argmin(distances))
        if not distances[k] < distance:
            break
        signed[candidates[k]] += 1.0
        cash, distance = float(cash_if[candidates[k]]), float(distances[k])
    return signed, cash


def keep_cash_floor(
    signed: np.ndarray, account: Account, reserve: float, cash: float
) -> tuple[np.ndarray, float]:
    """Trim buys (one share of the largest at a time) until cash after every fee is at least
    ``reserve``; a plan without buys may not lower cash that is already below it (e.g. a
    conversion commission larger than what a sale brings): then it trades nothing.

    Args:
        signed: shares to trade, ``(n_assets,)``. account: the account being sized.
        reserve: the cash buys must leave, base currency (buffer and any withdrawal).
        cash: :meth:`Account.cash_after` of ``signed``.

    Returns:
        ``(n_assets,)`` orders that keep the cash floor (or zeros), and the cash after them.
    """
    if cash >= reserve - CASH_EPS:
        return signed, cash
    signed = signed.copy()
    while signed.max(initial=0.0) > 0 and cash < reserve - CASH_EPS:
        buys = np.maximum(signed, 0.0)
        largest = int(np.argmax(buys * account.buy_prices * account.fx))
        signed[largest] -= min(1.0, buys[largest])
        cash = account.cash_after(signed)
    if cash < min(reserve, account.cash) - CASH_EPS:
        return np.zeros_like(signed), account.cash
    return signed, cash


def finish_orders(
    signed: np.ndarray,
    account: Account,
    reserve: float,
    top_up: np.ndarray | None,
    acceptable: Callable[[np.ndarray], np.ndarray],
    commissions: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The sizing's last stage, in order: spend leftovers (on the ``top_up`` assets, when
    given: see :func:`fill_deficits` and :func:`spend_leftovers`), keep the cash floor
    (:func:`keep_cash_floor`), and trade nothing if the result is further from target than
    holding.

    Args:
        signed: ``(n_assets,)`` shares to trade. account: the account being sized.
        reserve: cash buys must leave, base currency.
        top_up: ``(n_assets,)`` bool, assets leftovers may buy; ``None``: no top-up.
        acceptable: per-asset minimum-trade and commission-ratio rules (see above).
        commissions: ``(n_assets,)`` those of ``signed`` at its fill prices, when already
            priced (``None``: priced here).

    Returns:
        ``(n_assets,)`` signed whole (or fractional, as given) shares (``signed`` is never
        modified in place), and their commissions at their fill prices, ``(n_assets,)``,
        when known without pricing them again (else ``None``).
    """
    cash = account.cash_after(signed, commissions)
    if top_up is not None:
        signed, cash, commissions = _fill_deficits(
            signed, account, reserve, top_up, acceptable, cash, commissions
        )
        signed, cash, commissions = _spend_leftovers(
            signed, account, reserve, top_up, acceptable, cash, commissions
        )
    kept, cash = keep_cash_floor(signed, account, reserve, cash)
    if kept is not signed:
        commissions = None
    if _any(kept) and account.distance(kept, cash) > account.hold_distance() + 1e-12:
        return np.zeros_like(kept), None  # not trading is closer to target than this plan
    return kept, commissions
