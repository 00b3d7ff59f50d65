"""The frictionless sizing (free fees, fractional shares, no FX) gives the general sizing's
plan bit for bit: the general stages run when ``fx`` is an array, and ones change no number."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rp_tui.domain.fee_model import NO_FEES, FeeTable
from rp_tui.domain.frictionless import frictionless
from rp_tui.domain.rebalance import RebalanceRules, plan_rebalance

FIELDS = ("nav", "weights", "targets", "drift", "quantities", "notional", "commissions")
FIELDS += ("cash_after", "total_commission", "fill_prices", "fx_commission")


@st.composite
def frictionless_accounts(draw):
    n = draw(st.integers(1, 12))
    held = np.array(draw(st.lists(st.floats(0.0, 5_000.0), min_size=n, max_size=n)))
    held *= np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))  # some not held
    prices = np.array(draw(st.lists(st.floats(0.01, 5_000.0), min_size=n, max_size=n)))
    raw = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))) + 1e-6
    cash = draw(st.sampled_from([0.0, 0.0, 1e-9, 10.0, 1e4, 1e6]))
    rules = RebalanceRules(
        band=draw(st.sampled_from([0.0, 0.0, 0.005, 0.05])),
        cash_buffer=draw(st.sampled_from([0.0, 0.0, 0.01, 0.2])),
        whole_shares=False,
        relative_band=draw(st.booleans()),
        rebalance_all=draw(st.booleans()),
        mode=draw(st.sampled_from(["full", "full", "buy-only", "sell-only"])),
    )
    withdraw = draw(st.sampled_from([0.0, 0.0, 0.3])) * (cash + (held * prices).sum())
    return held, prices, cash, raw / raw.sum(), rules, withdraw


@settings(max_examples=2_000, deadline=None)
@given(frictionless_accounts())
def test_the_frictionless_plan_is_the_general_plan_bit_for_bit(account):
    held, prices, cash, targets, rules, withdraw = account
    fees = FeeTable([NO_FEES] * len(prices))
    assert frictionless(rules, fees, None, None, None)
    try:
        general = plan_rebalance(
            held, prices, cash, targets, rules, fees, np.ones(len(prices)), withdraw=withdraw
        )
    except ValueError as exc:  # the same refusal either way
        try:
            plan_rebalance(held, prices, cash, targets, rules, fees, withdraw=withdraw)
        except ValueError as again:
            assert str(again) == str(exc)
            return
        raise AssertionError(
            "the frictionless plan took an account the general one refused"
        ) from exc
    fast = plan_rebalance(held, prices, cash, targets, rules, fees, withdraw=withdraw)
    for name in FIELDS:
        a, b = getattr(fast, name), getattr(general, name)
        assert np.array_equal(a, b), name  # (±0 compare equal: no sum or test can tell them)


def test_any_friction_takes_the_general_stages():
    free, rules = FeeTable([NO_FEES]), RebalanceRules(whole_shares=False)
    assert frictionless(rules, free, None, None, None)
    assert not frictionless(RebalanceRules(), free, None, None, None)  # whole shares
    for changed in (
        {"slippage_bp": 1.0},
        {"min_trade_value": 1.0},
        {"max_commission_ratio": 0.01},
        {"skip_uneconomic": True},
    ):
        costly = RebalanceRules(whole_shares=False, **changed)
        assert not frictionless(costly, free, None, None, None)
    assert not frictionless(rules, free, np.ones(1), None, None)
    assert not frictionless(rules, free, None, np.zeros(1, bool), None)
    assert not frictionless(rules, free, None, None, np.zeros(1, int))
    assert math.isinf(RebalanceRules().max_commission_ratio)  # the default is no ratio rule
