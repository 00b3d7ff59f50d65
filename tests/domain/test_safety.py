import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rp_tui.domain.safety import (
    OrderCheck,
    SafetyLimits,
    TradingState,
    check_orders,
    is_paper_account,
    marketable_limit,
    round_to_tick,
)


def order(side="BUY", quantity=10.0, price=100.0, notional=1000.0, quote=100.0, age=1.0):
    return OrderCheck("USMV", side, quantity, price, notional, quote, age)


def test_clean_orders_pass():
    assert (
        check_orders([order(), order("SELL")], 100_000, SafetyLimits(), TradingState.ACTIVE) == []
    )


@pytest.mark.parametrize(
    ("o", "needle"),
    [
        (order(quantity=10.5), "whole number"),
        (order(quantity=20_000, notional=1000), "max_order_shares"),
        (order(notional=60_000), "max_order_notional"),
        (order(notional=40_000), "max_order_pct_nav"),
        (order(quote=math.nan), "no fresh quote"),
        (order(age=600), "no fresh quote"),
        (order(price=103.0), "outside the 2.0% band"),
    ],
)
def test_each_limit_names_the_order_and_the_rule(o, needle):
    problems = check_orders([o], 100_000, SafetyLimits(), TradingState.ACTIVE)
    assert any(needle in p and "USMV" in p for p in problems), problems


def test_run_cap_and_trading_states():
    many = [order(notional=40_000)] * 7
    limits = SafetyLimits(max_order_pct_nav=1.0)
    assert any(
        "max_run_notional" in p for p in check_orders(many, 1e6, limits, TradingState.ACTIVE)
    )
    assert check_orders([order()], 1e5, limits, TradingState.HALTED)[0].startswith(
        "trading is HALTED"
    )
    reducing = check_orders([order("SELL"), order("BUY")], 1e5, limits, TradingState.REDUCING)
    assert len(reducing) == 1 and "REDUCING" in reducing[0] and reducing[0].startswith("BUY")


@given(st.floats(0.01, 10_000), st.sampled_from([0.01, 0.05, 0.005, 0.25]))
def test_tick_rounding_is_on_tick_and_conservative(price, tick):
    buy, sell = round_to_tick(price, tick, "BUY"), round_to_tick(price, tick, "SELL")
    assert buy <= price + 1e-9 and sell >= price - 1e-9
    assert (
        abs(buy / tick - round(buy / tick)) < 1e-6 and abs(sell / tick - round(sell / tick)) < 1e-6
    )
    assert sell - buy <= tick + 1e-9


def test_marketable_limit_crosses_by_the_tolerance():
    assert marketable_limit("BUY", 100.0, 10, 0.01) == pytest.approx(100.10)
    assert marketable_limit("SELL", 100.0, 10, 0.01) == pytest.approx(99.90)
    assert marketable_limit("BUY", 71.137, 0, 0.01) == pytest.approx(71.13)


def test_paper_accounts_start_with_du():
    assert is_paper_account("DU1234567") and not is_paper_account("U1234567")
