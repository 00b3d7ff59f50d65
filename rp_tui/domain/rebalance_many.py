"""Order sizing for many accounts at once: :func:`~rp_tui.domain.rebalance.plan_rebalance` of
k accounts that share the prices, targets, fees and rules (all but the band), bit for bit.

A sweep replays one target path under several bands, so at each rebalance its accounts differ
only in holdings, cash and band. Row i of every array here takes the single call's steps on
its own numbers: elementwise operations, and sums along the last axis (numpy sums each row
as it sums a 1-D array). Loops run until every row is done (fitting buys in budget, the
deficits' water fill, topping up with leftovers); the steps few rows reach (trimming buys a
share at a time, keeping the cash floor) run row by row, the latter through the single
account's own stage. What this path does not cover (FX, frozen assets, withdrawals, other
modes, fractional shares, slippage, skip rules, free fees, holdings with fractions) is sized
row by row by ``plan_rebalance`` itself.

Change one, change the other: ``tests/domain/test_rebalance_many.py`` holds them equal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from rp_tui.domain.fee_model import FeeTable
from rp_tui.domain.rebalance import (
    RebalancePlan,
    RebalanceRules,
    constant,
    plan_rebalance,
)
from rp_tui.domain.sizing_checks import CASH_EPS, MAX_TOP_UPS_PER_ASSET, Account, keep_cash_floor

_SHARE_EPS = 1e-9  # as rebalance.py's: 24.9999999 shares is 25
_sum, _ZERO = np.add.reduce, np.zeros(())


def _each(values: np.ndarray) -> np.ndarray:
    """``(k,)`` bool: rows of ``values`` ``(k, n)`` with any nonzero element."""
    return np.logical_or.reduce(values != 0, axis=-1)


# the rules this path sizes by; the FX and risk-aversion figures only act with currency
# groups and skip_uneconomic, which it does not take. Every other rule must keep its default
# (full mode, whole shares, no slippage, no rule refusing orders): a rule added to
# RebalanceRules later is sized row by row until this path learns it.
_COVERED = ("band", "cash_buffer", "relative_band", "rebalance_all")
_INERT = ("fx_rate_of_value", "fx_minimum", "risk_aversion")
_DEFAULT = RebalanceRules()


def covers(rules: RebalanceRules) -> bool:
    """True when only the rules of ``_COVERED`` differ from their defaults."""
    inert = {name: getattr(_DEFAULT, name) for name in _COVERED + _INERT}
    return replace(rules, **inert) == _DEFAULT


def batchable(rules: RebalanceRules, fees: FeeTable, quantities: np.ndarray) -> bool:
    """True when accounts under ``rules`` (each with its own band) holding ``quantities``
    ``(k, n_assets)`` can be sized together: :func:`covers` the rules, holdings are whole
    shares, and the fees charge something (a free table takes the frictionless path, row by
    row)."""
    return (
        covers(rules) and not fees.free and not np.count_nonzero(np.rint(quantities) != quantities)
    )


def plan_rebalance_many(
    quantities: np.ndarray,
    prices: np.ndarray,
    cash: np.ndarray,
    targets: np.ndarray,
    rules: RebalanceRules,
    bands: Sequence[float],
    fees: FeeTable,
) -> list[RebalancePlan]:
    """``plan_rebalance(quantities[i], prices, cash[i], targets, rules with bands[i], fees)``
    of each row, bit for bit.

    Args:
        quantities: shares held, ``(k, n_assets)``. prices: ``(n_assets,)``, one currency.
        cash: ``(k,)``, base currency. targets: ``(n_assets,)`` allocation weights.
        rules: the :class:`~rp_tui.domain.rebalance.RebalanceRules` of every account but its
            band; bands: ``(k,)`` each account's band (as ``RebalanceRules.band``).
        fees: the commission schedules, shared.

    Returns:
        k :class:`~rp_tui.domain.rebalance.RebalancePlan`, in row order (their arrays may be
        views of arrays they share: read them, do not write to them).

    Raises:
        ValueError: as ``plan_rebalance`` for the first row it refuses.
    """
    quantities = np.asarray(quantities, dtype=float)
    prices = np.asarray(prices, dtype=float)
    cash = np.asarray(cash, dtype=float)
    values = quantities * prices
    nav = cash + _sum(values, axis=1)
    finite = math.isfinite(np.add.reduce(prices)) and np.minimum.reduce(prices) > 0
    if not (finite and batchable(rules, fees, quantities) and np.all(nav > 0)):
        return [
            plan_rebalance(quantities[i], prices, float(c), targets, replace(rules, band=b), fees)
            for i, (c, b) in enumerate(zip(cash.tolist(), bands, strict=True))
        ]
    weights = values / nav[:, None]
    targets_nav = np.asarray(targets, dtype=float) * (1.0 - rules.cash_buffer)
    drift = weights - targets_nav
    target_values = targets_nav * nav[:, None]  # (nav − 0 withdrawn)
    bands = np.array(bands, dtype=float)[:, None]
    tradable = np.abs(drift) > (bands * targets_nav if rules.relative_band else bands)
    plans: list[RebalancePlan | None] = [None] * len(quantities)
    n = len(prices)
    for i in np.flatnonzero(~_each(tradable)).tolist():  # within every band: no order
        plans[i] = RebalancePlan(
            float(nav[i]), weights[i], targets_nav, drift[i], np.zeros(n), np.zeros(n),
            np.zeros(n), float(cash[i]) - 0.0 - 0.0, 0.0 + 0.0, prices, 0.0,
        )  # fmt: skip
    rows = np.flatnonzero(_each(tradable))
    if rows.size:
        sized = _trading(
            quantities[rows],
            prices,
            cash[rows],
            nav[rows],
            values[rows],
            target_values[rows],
            np.ones_like(tradable[rows]) if rules.rebalance_all else tradable[rows],
            rules.cash_buffer,
            fees.for_whole_shares(),
        )
        for j, i in enumerate(rows.tolist()):
            signed, commissions, cash_after = sized[0][j], sized[1][j], sized[2][j]
            plans[i] = RebalancePlan(
                float(nav[i]), weights[i], targets_nav, drift[i], signed,
                np.abs(signed) * prices, commissions, cash_after, float(_sum(commissions)) + 0.0,
                prices, 0.0,
            )  # fmt: skip
    return plans


def _trading(held, prices, cash, nav, values, target_values, tradable, buffer, fees):
    """The orders of the accounts with an asset outside its band (rows of ``(r, n)``): signed
    shares, their commissions (listing currency) and the cash after them (base), per row."""
    delta = np.where(tradable, target_values - values, _ZERO)
    shares = delta / prices
    sells = np.minimum(np.rint(np.maximum(-shares, _ZERO)), held)
    buys = np.floor(np.maximum(shares, _ZERO) + _SHARE_EPS)
    sell_commissions = fees.commission(-sells, prices)
    selling = _each(sells)
    if np.count_nonzero(selling):  # never pay more than a sale brings (rows with sales)
        worthless = (sell_commissions >= sells * prices) & selling[:, None]
        sells = np.where(worthless, _ZERO, sells)
        sell_commissions = np.where(worthless, _ZERO, sell_commissions)
    after_sells = cash + _sum(sells * prices - sell_commissions, axis=1)
    reserve = buffer * nav
    budget = np.minimum(after_sells - reserve, after_sells)
    buys, buy_commissions = _fit_buys(buys, prices, fees, budget)
    targeted = _sum(target_values, axis=1)
    cash_target = nav - targeted
    goal = np.empty((len(held), held.shape[1] + 1))
    goal[:, :-1], goal[:, -1] = target_values, cash_target
    goal /= (targeted + cash_target)[:, None]
    book = _Book(held, prices, cash, target_values, cash_target, goal, reserve, fees)
    sized = buys - sells
    signed, known = book.finish(sized, buy_commissions + sell_commissions, _each(sized))
    commissions = book.commissions
    if not np.all(known):  # the last stage changed these orders: priced again, as _plan does
        commissions[~known] = fees.commission(signed[~known], prices)
    cash_after = (cash - _sum(signed * prices + commissions, axis=1) - 0.0).tolist()
    return signed, commissions, cash_after


def _fit_buys(buys, prices, fees, budget):
    """:func:`~rp_tui.domain.share_fitting.fit_buys` of each row (whole shares, one currency)."""
    buys = np.where((budget > 0.0)[:, None], buys, _ZERO)
    commissions = np.zeros_like(buys)
    rows = np.flatnonzero(budget > 0.0)
    priced = fees.commission(buys[rows], prices)
    total = _sum(buys[rows] * prices + priced, axis=1)
    commissions[rows] = priced
    for _ in range(50):  # proportional scaling, row by row until each fits
        over = total > budget[rows]
        if not np.count_nonzero(over):
            return buys, commissions
        rows, total = rows[over], total[over]
        scaled = np.floor(buys[rows] * (budget[rows] / total)[:, None])
        priced = fees.commission(scaled, prices)
        buys[rows], commissions[rows] = scaled, priced
        total = _sum(scaled * prices + priced, axis=1)
    for i, spent in zip(rows.tolist(), total.tolist(), strict=True):
        row = buys[i]  # a view: trim the largest buy one share at a time, as fit_buys does
        while spent > budget[i] and np.count_nonzero(row):
            row[int(np.argmax(row * prices))] -= 1.0
            commissions[i] = fees.commission(row, prices)
            spent = float(_sum(row * prices + commissions[i]))
    return buys, commissions


def _water_fill(gaps: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """:func:`~rp_tui.domain.share_fitting.water_fill` of each row of ``gaps`` ``(r, n)``
    with its ``amount`` ``(r,)`` > 0: the same sort, running sums and level."""
    gaps = np.maximum(gaps, _ZERO)
    ordered = np.sort(gaps, axis=1)[:, ::-1]
    n = gaps.shape[1]
    levels = (np.cumsum(ordered, axis=1) - amount[:, None]) / np.arange(1, n + 1)
    stop = np.ones(gaps.shape, dtype=bool)  # the first k whose level reaches the next gap
    stop[:, :-1] = levels[:, :-1] >= ordered[:, 1:]
    level = levels[np.arange(len(gaps)), stop.argmax(axis=1)]
    filled = np.maximum(gaps - level[:, None], _ZERO)
    return np.where((amount >= _sum(gaps, axis=1))[:, None], gaps, filled)  # all of it


class _Book:
    """The accounts being sized, rows of ``(r, n)``: what :class:`Account` holds for one."""

    def __init__(self, held, prices, cash, target_values, cash_target, goal, reserve, fees):
        self.held, self.prices, self.cash = held, prices, cash
        self.target_values, self.cash_target, self.goal = target_values, cash_target, goal
        self.reserve, self.fees = reserve, fees
        self.cheapest = float(np.minimum.reduce(prices))
        self.commissions = np.zeros_like(held)

    def account(self, i: int) -> Account:
        """Row ``i`` as the single account's :class:`Account`."""
        n = len(self.prices)
        return Account(
            self.held[i], self.prices, self.prices, self.prices, constant(n, 1.0),
            float(self.cash[i]), self.target_values[i], float(self.cash_target[i]), self.fees,
        )  # fmt: skip

    def distances(self, signed, cash, rows=slice(None)):
        """:meth:`Account.distance` of the orders and cash of ``rows`` (all by default)."""
        values = np.empty((len(signed), self.goal.shape[1]))
        values[:, :-1], values[:, -1] = (self.held[rows] + signed) * self.prices, cash
        nav = _sum(values, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            far = _sum(np.abs(values / nav[:, None] - self.goal[rows]), axis=1)
        return np.where(nav > 0, far, np.inf)

    def finish(self, signed, commissions, top_up):
        """:func:`~rp_tui.domain.sizing_checks.finish_orders` of each row: the orders, and
        ``(r,)`` bool, rows whose commissions (``self.commissions``) are known."""
        signed = signed.copy()
        self.commissions[:] = commissions
        known = np.ones(len(signed), dtype=bool)
        cash = self.cash - _sum(signed * self.prices + commissions, axis=1) - 0.0
        if np.count_nonzero(top_up):
            cash = self._fill_deficits(signed, cash, top_up)
            cash = self._spend_leftovers(signed, cash, top_up)
        for i in np.flatnonzero(cash < self.reserve - CASH_EPS).tolist():  # rare: trim buys
            row = signed[i]
            kept, cash[i] = keep_cash_floor(row, self.account(i), self.reserve[i], cash[i])
            if kept is not row:
                signed[i], known[i] = kept, False
        r = len(signed)  # holding and trading, as the rows of one array
        both = self.distances(
            np.concatenate((np.zeros_like(signed), signed)),
            np.concatenate((self.cash, cash)),
            np.tile(np.arange(r), 2),
        )
        worse = _each(signed) & (both[r:] > both[:r] + 1e-12)
        signed[worse], known[worse] = 0.0, False  # not trading is closer to target
        return signed, known

    def _fill_deficits(self, signed, cash, top_up):
        """``fill_deficits`` of every row at once (a trim of fees that do not fit, row by
        row)."""
        prices = self.prices
        spare = cash - self.reserve
        values = (self.held + signed) * prices
        deficit = np.where(signed >= _ZERO, self.target_values - values, _ZERO)
        deficit = np.maximum(deficit, _ZERO)
        holds = np.minimum(deficit, spare[:, None]) >= prices * (1.0 - 1e-6)
        go = top_up & (spare > 0) & ~(spare < self.cheapest * (1.0 - 1e-6))
        go &= _each(deficit) & np.logical_or.reduce(holds, axis=1)
        rows = np.flatnonzero(go)
        if not rows.size:
            return cash
        filled = _water_fill(deficit[rows], spare[rows])
        extra = np.floor(filled / prices + _SHARE_EPS)
        some = _each(extra)
        rows, extra = rows[some], extra[some]
        if not rows.size:
            return cash
        trial = signed[rows] + extra
        paid = self.fees.commission(trial, prices)
        trial_cash = self.cash[rows] - _sum(trial * prices + paid, axis=1) - 0.0  # settle's
        floor = self.reserve[rows] - CASH_EPS
        for j in np.flatnonzero(trial_cash < floor).tolist():  # rare: the fees do not fit
            i, more = rows[j], extra[j]  # a view: drop a share of the largest at a time
            while trial_cash[j] < floor[j] and np.count_nonzero(more):
                more[int(np.argmax(more * prices))] -= 1.0
                trial[j] = signed[i] + more
                paid[j] = self.fees.commission(trial[j], prices)
                trial_cash[j] = self.cash[i] - float(_sum(trial[j] * prices + paid[j])) - 0.0
        better = _each(extra > 0)
        m = len(rows)  # after and before, as the rows of one array
        both = self.distances(
            np.concatenate((trial, signed[rows])),
            np.concatenate((trial_cash, cash[rows])),
            np.concatenate((rows, rows)),
        )
        better &= both[:m] < both[m:]
        at = rows[better]
        signed[at], cash[at], self.commissions[at] = trial[better], trial_cash[better], paid[better]
        return cash

    def _spend_leftovers(self, signed, cash, top_up):
        """``spend_leftovers`` of every row at once: each row takes the single loop's steps,
        and stops when its own loop would."""
        prices, n = self.prices, len(self.prices)
        room = cash - self.reserve
        values = (self.held + signed) * prices
        open_ = signed >= _ZERO
        go = top_up & (self.cheapest <= room)
        go &= np.logical_or.reduce(
            open_ & (values < self.target_values) & (prices <= room[:, None]), axis=1
        )
        rows = np.flatnonzero(go)
        if not rows.size:
            return cash
        r = rows.size
        start = signed[rows]
        steps = MAX_TOP_UPS_PER_ASSET * n
        reach = start[:, None, :] + np.arange(steps + 2, dtype=float)[:, None]  # (r, m, n)
        priced = self.fees.commission(reach, prices)
        level = np.zeros((r, n), dtype=np.intp)
        extra = priced[:, 1] - priced[:, 0]
        cost = prices + extra  # (× fx 1)
        values, open_, target = values[rows], open_[rows], self.target_values[rows]
        ok = open_ & (values < target)
        after = np.empty((r, n + 1, n + 1))
        after[:, :, :n] = values[:, None, :]
        diagonal = after.reshape(r, -1)[:, : n * (n + 2) : n + 2]
        diagonal += prices
        after[:, n, n] = cash[rows]
        left, floor, goal = cash[rows], self.reserve[rows], self.goal[rows][:, None, :]
        held, everyone = self.held[rows], np.arange(r)
        distance = np.full(r, np.nan)
        alive = np.ones(r, dtype=bool)  # rows still stepping; the others' numbers are unread
        for step in range(steps):
            cash_if = left[:, None] - cost
            wanted = ok & (prices <= (left - floor)[:, None])
            wanted &= cash_if >= (floor - CASH_EPS)[:, None]
            wanted &= alive[:, None]
            alive = np.logical_or.reduce(wanted, axis=1)  # no candidate left: that row stops
            if not np.count_nonzero(alive):
                break
            after[:, :n, n] = cash_if
            with np.errstate(divide="ignore", invalid="ignore"):  # (rows no longer stepping)
                every = _sum(np.abs(after / _sum(after, axis=2, keepdims=True) - goal), axis=2)
            if step == 0:
                distance = every[:, n].copy()
            distances = np.where(wanted, every[:, :n], np.inf)
            k = distances.argmin(axis=1)
            best = distances[everyone, k]
            alive = best < distance  # no candidate brings it closer: that row stops
            if not np.count_nonzero(alive):
                break
            for i, j in zip(np.flatnonzero(alive).tolist(), k[alive].tolist(), strict=True):
                start[i, j] += 1.0  # the single loop's updates, one row at a time
                left[i], distance[i] = cash_if[i, j], best[i]
                level[i, j] += 1
                m = level[i, j]
                values[i, j] = (held[i, j] + start[i, j]) * prices[j]
                after[i, :n, j] = values[i, j]
                after[i, j, j] += prices[j]
                extra[i, j] = priced[i, m + 1, j] - priced[i, m, j]
                cost[i, j] = prices[j] + extra[i, j]
                ok[i, j] = open_[i, j] and values[i, j] < target[i, j]
        bought = np.flatnonzero(_each(level))
        if bought.size:
            cols = np.arange(n)
            gathered = priced[bought[:, None], level[bought], cols]
            at = rows[bought]
            self.commissions[at] = np.where(open_[bought], gathered, self.commissions[at])
            signed[at], cash[at] = start[bought], left[bought]
        return cash
