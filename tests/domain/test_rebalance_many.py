"""Accounts sized together (plan_rebalance_many) and backtests replayed in lockstep
(run_backtests) give what the single account's code gives, bit for bit."""

from dataclasses import fields, replace

import numpy as np
import pytest

from rp_tui.domain.allocation import erc_weights
from rp_tui.domain.fee_model import FeeSchedule, FeeTable
from rp_tui.domain.rebalance import RebalanceRules, plan_rebalance
from rp_tui.domain.rebalance_many import (
    _fit_buys,
    _water_fill,
    batchable,
    covers,
    plan_rebalance_many,
)
from rp_tui.domain.replay import BacktestSpec, run_backtest
from rp_tui.domain.replay_many import in_lockstep, run_backtests
from rp_tui.domain.returns import sample_covariance, simple_returns
from rp_tui.domain.share_fitting import fit_buys, water_fill
from rp_tui.domain.target_path import compute_path, rebalance_rows
from rp_tui.inputs.bundled_data import FACTOR_ETFS
from rp_tui.inputs.fee_data import dated_fees, fee_table
from rp_tui.inputs.portfolio import Asset
from rp_tui.inputs.prices import load_prices
from tests.domain.sizing_cases import LSE_GBP, US_FIXED

FIELDS = (
    "nav", "weights", "targets", "drift", "quantities", "notional", "commissions",
    "cash_after", "total_commission", "fill_prices", "fx_commission",
)  # fmt: skip
# IBKR Fixed US with the SEC fee and FINRA's TAF and CAT on top (sales pay more than buys)
US_REGULATED = replace(
    US_FIXED, sell_rate_of_value=2.78e-5, sell_per_share=1.66e-4, sell_maximum=8.3,
    cat_per_share=3.5e-5,
)  # fmt: skip
TABLES = (US_FIXED, US_REGULATED, LSE_GBP)
# dear orders on small accounts: the fees often do not fit, so buys are trimmed
DEAR = FeeSchedule(
    key="dear", name="dear", currency="USD", per_share=0.02, minimum=6.0, extra_per_order=2.0
)
PER_SHARE = FeeSchedule(key="share", name="share", currency="USD", per_share=0.35)  # no minimum


def same(a, b) -> bool:
    """Every field equal to the last bit (the sign of a zero included)."""
    return all(
        np.asarray(getattr(a, f)).tobytes() == np.asarray(getattr(b, f)).tobytes() for f in FIELDS
    )


def single(held, prices, cash, targets, rules, band, fees):
    """The single account's plan under ``rules`` with ``band``."""
    return plan_rebalance(held, prices, float(cash), targets, replace(rules, band=band), fees)


def batch(rng, k, small=False):
    """k accounts on one set of prices and targets: holdings near a common one, so some sit
    within their band and some do not; cash from none to plenty. ``small``: accounts of a
    few thousand, dear orders and buffers up to 20 %."""
    n = int(rng.integers(2, 6 if small else 9))
    prices = np.round(rng.uniform(5.0, 400.0, n), 2)
    targets = rng.dirichlet(np.ones(n))
    base = np.floor(rng.uniform(0, 3_000 if small else 60_000) * targets / prices)
    held = np.maximum(base + rng.integers(-4, 5, (k, n)) * (rng.random((k, 1)) < 0.7), 0)
    if small:
        cash = rng.uniform(0.0, 800.0, k)
    else:
        cash = rng.choice([0.0, 50.0, 500.0, 5_000.0, 60_000.0], k) * rng.uniform(0.5, 1.5, k)
    cash[held.sum(axis=1) == 0] += 300.0  # NAV > 0
    rules = RebalanceRules(
        cash_buffer=float(rng.choice([0.0, 0.05, 0.2] if small else [0.0, 0.01, 0.05])),
        relative_band=bool(rng.random() < 0.25),
        rebalance_all=bool(rng.random() < 0.15),
    )
    bands = rng.choice([0.0, 0.005, 0.01, 0.02, 0.04, 0.2], k).tolist()
    tables = (US_FIXED, LSE_GBP, DEAR, PER_SHARE) if small else TABLES
    fees = FeeTable([tables[i] for i in rng.integers(0, len(tables), n)])
    return held.astype(float), prices, cash, targets, rules, bands, fees


@pytest.mark.parametrize("seed", range(4))
def test_each_row_is_the_single_accounts_plan_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    stopped = trading = 0
    for _ in range(150):
        held, prices, cash, targets, rules, bands, fees = batch(rng, int(rng.integers(2, 12)))
        assert batchable(rules, fees, held)
        many = plan_rebalance_many(held, prices, cash, targets, rules, bands, fees)
        for i, plan in enumerate(many):
            one = single(held[i], prices, cash[i], targets, rules, bands[i], fees)
            assert same(plan, one), (seed, i)
            moved = np.count_nonzero(one.quantities)
            stopped, trading = stopped + (not moved), trading + bool(moved)
    assert stopped > 50 and trading > 500  # both kinds of row, many times


def test_small_accounts_whose_fees_do_not_fit_are_sized_as_the_single_account():
    """Deficits whose commissions do not fit, and buys trimmed to the cash floor: the rows
    that reach those stages go through them as the single account does."""
    for seed in range(400):
        rng = np.random.default_rng(seed)
        held, prices, cash, targets, rules, bands, fees = batch(rng, 6, small=True)
        many = plan_rebalance_many(held, prices, cash, targets, rules, bands, fees)
        for i, plan in enumerate(many):
            assert same(plan, single(held[i], prices, cash[i], targets, rules, bands[i], fees))


class GrowsAsItShrinks:
    """A commission that grows as an order shrinks (``scale`` / shares): scaling a large buy
    down gains less than the commission adds, so fitting ends by trimming share by share."""

    free = False

    def __init__(self, scale: float):
        self.scale = scale

    def commission(self, quantities, prices):
        q = np.abs(np.asarray(quantities, dtype=float))
        with np.errstate(divide="ignore"):
            return np.where(q > 0, self.scale / q, 0.0)


def test_buys_that_scaling_cannot_fit_are_trimmed_as_fit_buys_trims_them():
    """After 50 scalings the buys are trimmed one share of the largest value at a time
    (here asset 1: fewer shares than asset 0, more value), as fit_buys does."""
    prices = np.array([6.57, 7.6])
    buys = np.array([[56236.0, 54860.0], [56236.0, 54860.0], [3.0, 0.0]])
    budget = np.array([1397712.1556441304, 0.0, 150.0])
    fees = GrowsAsItShrinks(17168467167.591322)
    fitted, commissions = _fit_buys(buys, prices, fees, budget)
    for i in range(len(buys)):
        one, paid = fit_buys(buys[i], prices, 1.0, fees, float(budget[i]), True)
        assert fitted[i].tobytes() == one.tobytes() and commissions[i].tobytes() == paid.tobytes()
    assert fitted[0].tolist() == [53393.0, 52006.0]


def test_water_fill_of_each_row_is_the_single_water_fill():
    """Gaps with ties, zeros and a total below the amount; amounts from a cent to all."""
    rng = np.random.default_rng(11)
    gaps = np.round(rng.uniform(0, 500, (400, 6)), 0) * (rng.random((400, 6)) < 0.8)
    gaps[::7, :3] = 120.0  # ties
    amount = rng.uniform(0.01, 1.2, 400) * gaps.sum(axis=1) + 0.01
    filled = _water_fill(gaps, amount)
    for i in range(len(gaps)):
        assert filled[i].tobytes() == water_fill(gaps[i], float(amount[i])).tobytes()


def test_rules_it_does_not_cover_are_sized_row_by_row_to_the_same_plans():
    rng = np.random.default_rng(7)
    held, prices, cash, targets, rules, bands, fees = batch(rng, 6)
    for other in (
        replace(rules, mode="buy-only"),
        replace(rules, whole_shares=False),
        replace(rules, slippage_bp=5.0),
        replace(rules, min_trade_value=500.0),
    ):
        assert not batchable(other, fees, held)
        many = plan_rebalance_many(held, prices, cash, targets, other, bands, fees)
        for i, plan in enumerate(many):
            assert same(plan, single(held[i], prices, cash[i], targets, other, bands[i], fees))
    assert not batchable(rules, fees, held + 0.5)  # holdings with fractions


def test_a_rule_the_batch_does_not_size_by_sends_the_accounts_row_by_row():
    """Every field of RebalanceRules is one the batch sizes by (band, buffer, relative band,
    rebalance all), one that cannot act without FX or skip rules, or one whose every other
    value makes it decline: a rule added later cannot be ignored by the sweep's sizing."""
    other = {
        bool: lambda v: not v,
        str: lambda v: "sell-only",
        float: lambda v: min(v, 1.0) / 2 + 0.25,
    }
    for field in fields(RebalanceRules):
        default = getattr(RebalanceRules(), field.name)
        changed = replace(RebalanceRules(), **{field.name: other[type(default)](default)})
        sized_by = field.name in ("band", "cash_buffer", "relative_band", "rebalance_all")
        inert = field.name in ("fx_rate_of_value", "fx_minimum", "risk_aversion")
        assert covers(changed) == (sized_by or inert), field.name


def test_an_account_with_nothing_is_refused_as_the_single_plan_refuses_it():
    rng = np.random.default_rng(3)
    held, prices, cash, targets, rules, bands, fees = batch(rng, 3)
    held[1], cash[1] = 0.0, 0.0
    with pytest.raises(ValueError, match="NAV must be > 0"):
        plan_rebalance_many(held, prices, cash, targets, rules, bands, fees)


@pytest.fixture(scope="module")
def factors():
    history = load_prices(bundled=FACTOR_ETFS)
    assets = tuple(Asset(s, "SMART", "USD", "BATS") for s in FACTOR_ETFS.symbols)
    return history, fee_table("ibkr-fixed", assets), dated_fees("ibkr-fixed", assets)


def path_of(history, lookback, frequency):
    rows = rebalance_rows(history.dates, frequency, lookback)
    returns = simple_returns(history.closes)
    return compute_path(
        returns, history.dates, rows, lookback, lambda w: erc_weights(sample_covariance(w))
    )


@pytest.mark.parametrize(("frequency", "buffer"), [("monthly", 0.01), ("weekly", 0.0)])
def test_a_lockstep_replay_gives_each_band_its_own_backtest(factors, frequency, buffer):
    history, fees, fees_on = factors
    path = path_of(history, 63, frequency)
    specs = [
        BacktestSpec(63, frequency, RebalanceRules(band=b, cash_buffer=buffer), capital)
        for b, capital in ((0.0, 10_000.0), (0.01, 10_000.0), (0.03, 25_000.0), (0.1, 5_000.0))
    ]
    assert in_lockstep(specs, path, None, None)
    together = run_backtests(history.dates, history.closes, fees, specs, path, fees_on=fees_on)
    for spec, result in zip(specs, together, strict=True):
        alone = run_backtest(
            history.dates, history.closes, fees, spec, None, fees_on=fees_on, path=path
        )
        for name in ("equity", "growth", "holdings_after", "cash_after", "drift_at_rebalance"):
            assert getattr(result, name).tobytes() == getattr(alone, name).tobytes(), name
        assert result.trades.quantities.tobytes() == alone.trades.quantities.tobytes()
        assert result.trades.commissions.tobytes() == alone.trades.commissions.tobytes()
        assert (result.fees_paid, result.turnover, result.stats) == (
            alone.fees_paid,
            alone.turnover,
            alone.stats,
        )
    assert len({r.fees_paid for r in together}) == len(specs)  # four different backtests


def test_specs_that_differ_in_more_than_the_band_are_replayed_one_by_one(factors):
    history, fees, _ = factors
    path = path_of(history, 63, "monthly")
    base = BacktestSpec(63, "monthly", RebalanceRules(band=0.01), 10_000.0)
    for other in (
        replace(base, contribution=100.0),
        replace(base, rules=replace(base.rules, cash_buffer=0.02)),
        replace(base, rules=replace(base.rules, mode="buy-only")),
    ):
        assert not in_lockstep([base, other], path, None, None)
        together = run_backtests(history.dates, history.closes, fees, [base, other], path)
        alone = run_backtest(history.dates, history.closes, fees, other, None, path=path)
        assert together[1].equity.tobytes() == alone.equity.tobytes()
    assert not in_lockstep([base, base], None, None, None)  # no path: allocating as it goes
    # trading days compared by content: equal copies go together, other days do not
    days = np.arange("2000-01-03", "2024-12-31", dtype="datetime64[D]")
    on_days = replace(base, sessions=days)
    assert in_lockstep([on_days, replace(on_days, sessions=days.copy())], path, None, None)
    assert not in_lockstep([on_days, replace(on_days, sessions=days[1:])], path, None, None)
    assert not in_lockstep([on_days, base], path, None, None)
    for unread in (
        {"contribution_frequency": "quarterly"},
        {"min_interval_days": 10},
        {"contribution": -50.0},
    ):
        assert not in_lockstep([replace(base, **unread)] * 2, path, None, None), unread
