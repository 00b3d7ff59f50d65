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


def test_zero_or_fractional_shares_are_refused_and_one_share_is_fine():
    for quantity, needle in ((0.0, "positive number"), (-1.0, "positive number"), (2.5, "whole")):
        problems = check_orders(
            [order(quantity=quantity)], 1e5, SafetyLimits(), TradingState.ACTIVE
        )
        assert any(needle in p for p in problems), quantity
    fractional = order(quantity=2.5, notional=250.0)
    assert check_orders([fractional], 1e5, SafetyLimits(), TradingState.ACTIVE, False) == []
    assert check_orders([order(quantity=1.0)], 1e5, SafetyLimits(), TradingState.ACTIVE) == []


def test_every_limit_allows_exactly_its_value_and_refuses_just_above():
    limits = SafetyLimits(
        max_order_notional=1_000.0,
        max_run_notional=2_000.0,
        max_order_pct_nav=0.25,
        max_order_shares=10.0,
        price_band=0.25,
        quote_ttl_seconds=60.0,
    )
    at_limit = [
        order(quantity=10.0, price=125.0, notional=1_000.0, quote=100.0, age=60.0),
        order(quantity=10.0, price=75.0, notional=1_000.0, quote=100.0, age=60.0),
    ]
    assert check_orders(at_limit, 4_000.0, limits, TradingState.ACTIVE) == []
    over = {
        "max_order_shares": order(quantity=11.0, notional=10.0),
        "max_order_notional": order(notional=1_000.01),
        "max_order_pct_nav": order(notional=1_000.0),  # NAV 3,999.99 below
        "no fresh quote": order(notional=10.0, age=60.001),
        "band": order(notional=10.0, price=125.01, quote=100.0),
    }
    for rule, o in over.items():
        nav = 3_999.99 if rule == "max_order_pct_nav" else 4_000.0
        problems = check_orders([o], nav, limits, TradingState.ACTIVE)
        assert any(rule in p for p in problems), (rule, problems)
    run = check_orders([*at_limit, order(notional=0.01)], 4e6, limits, TradingState.ACTIVE)
    assert any("max_run_notional" in p for p in run)


def test_a_zero_or_missing_quote_refuses_without_crashing():
    for quote in (0.0, -1.0, math.nan):
        problems = check_orders([order(quote=quote)], 1e5, SafetyLimits(), TradingState.ACTIVE)
        assert any("no fresh quote" in p for p in problems), quote
    cheap = order(price=0.5, notional=5.0, quote=0.5)  # a quote below 1 is still a quote
    assert check_orders([cheap], 1e5, SafetyLimits(), TradingState.ACTIVE) == []


def test_an_unknown_or_empty_nav_refuses_every_order():
    for nav in (math.nan, 0.0, -5.0):
        problems = check_orders([order()], nav, SafetyLimits(), TradingState.ACTIVE)
        assert any("NAV is unknown" in p for p in problems), nav
    small_nav = check_orders([order(notional=1.0)], 0.5, SafetyLimits(), TradingState.ACTIVE)
    assert any("200.0% of NAV" in p for p in small_nav)  # a NAV of 0.5 is known
    assert not any("unknown" in p for p in small_nav)


def test_messages_give_the_true_figures():
    pct = check_orders([order(notional=40_000)], 100_000, SafetyLimits(), TradingState.ACTIVE)
    assert any("40.0% of NAV" in p for p in pct), pct
    band = check_orders([order(price=103.0)], 100_000, SafetyLimits(), TradingState.ACTIVE)
    assert any("is 3.00% from the quote" in p for p in band), band


def test_a_tick_must_be_positive():
    with pytest.raises(ValueError, match="minTick must be > 0, got 0"):
        round_to_tick(10.0, 0.0, "BUY")
