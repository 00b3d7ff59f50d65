import numpy as np
import pandas as pd
import pytest

from rp_tui.domain.allocation import erc_weights
from rp_tui.domain.fee_model import NO_FEES, FeeSchedule, FeeTable
from rp_tui.domain.metrics import drawdown, performance_stats
from rp_tui.domain.periods import period_end_indices
from rp_tui.domain.rebalance import RebalanceRules
from rp_tui.domain.replay import (
    BacktestCancelled,
    BacktestError,
    BacktestSpec,
    equal_weight,
    run_backtest,
)
from rp_tui.domain.returns import sample_covariance
from rp_tui.inputs.bundled_data import FACTOR_ETFS
from rp_tui.inputs.prices import load_prices


def erc(returns):
    return erc_weights(sample_covariance(returns))


US_FIXED = FeeSchedule(
    key="us", name="us", currency="USD", per_share=0.005, minimum=1.0, max_rate_of_value=0.01
)


@pytest.fixture(scope="module")
def history():
    return load_prices(bundled=FACTOR_ETFS)


def test_monthly_period_ends_are_last_trading_days():
    dates = np.array(
        ["2024-01-30", "2024-01-31", "2024-02-01", "2024-02-29", "2024-03-01"],
        dtype="datetime64[D]",
    )
    # March is incomplete (2024-03-04 is still March): not a period end
    assert period_end_indices(dates, "monthly").tolist() == [1, 3]
    assert period_end_indices(dates[:4], "monthly").tolist() == [1, 3]  # Feb 29 → Mar 1 next


def test_weekly_periods_start_on_monday():
    # Fri 2024-01-05, Mon 01-08, Fri 01-12, Mon 01-15
    dates = np.array(
        ["2024-01-05", "2024-01-08", "2024-01-12", "2024-01-15"], dtype="datetime64[D]"
    )
    assert period_end_indices(dates, "weekly").tolist() == [0, 2]
    assert period_end_indices(dates[:3], "quarterly").tolist() == []
    with pytest.raises(ValueError, match="unknown rebalance frequency"):
        period_end_indices(dates, "daily")


def test_fractional_no_fee_backtest_matches_a_naive_replay(history):
    """Independent replay: month ends from pandas, value carried by weight × price ratio."""
    spec = BacktestSpec(126, "monthly", RebalanceRules(whole_shares=False), 1_000.0)
    result = run_backtest(history.dates, history.closes, FeeTable([NO_FEES] * 5), spec, erc)
    frame = pd.DataFrame(history.closes, index=pd.DatetimeIndex(history.dates))
    month_ends = frame.groupby(frame.index.to_period("M")).tail(1).index
    returns = frame.pct_change().to_numpy()
    positions = {d: i for i, d in enumerate(frame.index)}
    ends = [positions[d] for d in month_ends if positions[d] >= 126][:-1]  # last is partial
    assert [str(d)[:10] for d in frame.index[ends]] == [str(d) for d in result.rebalance_dates]

    value, curve = 1_000.0, []
    for k, day in enumerate(ends):
        cov = np.cov(returns[day - 125 : day + 1].T)
        w = erc_weights(cov)
        stop = ends[k + 1] if k + 1 < len(ends) else len(frame)
        held = value * w / history.closes[day]  # constant until the next rebalance
        curve.extend(history.closes[day:stop] @ held)
        if stop < len(frame):
            value = history.closes[stop] @ held
    np.testing.assert_allclose(result.equity, curve, rtol=1e-9)
    assert result.fees_paid == 0.0


def test_whole_share_backtest_with_fees_accounts_for_every_dollar(history):
    spec = BacktestSpec(252, "quarterly", RebalanceRules(band=0.01, cash_buffer=0.01), 50_000.0)
    fees = FeeTable([US_FIXED] * 5)
    result = run_backtest(history.dates, history.closes, fees, spec, erc)
    t = result.trades
    assert np.all(t.quantities == np.round(t.quantities))
    assert result.fees_paid == pytest.approx(t.commissions.sum())
    cash = 50_000.0 - (t.quantities * t.prices).sum() - t.commissions.sum()
    holdings = np.zeros(5)
    np.add.at(holdings, t.assets, t.quantities)
    assert result.equity[-1] == pytest.approx(cash + holdings @ history.closes[-1])
    assert cash >= 0
    first = result.rebalance_dates[0]
    assert np.count_nonzero(history.dates < first) >= 252  # lookback returns available
    assert result.turnover > 0


def test_equal_weight_benchmark_and_progress(history):
    seen = []
    spec = BacktestSpec(60, "monthly", RebalanceRules(whole_shares=False), 100.0)
    result = run_backtest(
        history.dates,
        history.closes,
        FeeTable([NO_FEES] * 5),
        spec,
        equal_weight,
        progress=seen.append,
    )
    np.testing.assert_allclose(result.target_weights, 0.2)
    assert seen[-1] == 1.0 and seen == sorted(seen)


def test_cancel_and_short_history(history):
    spec = BacktestSpec(252, "monthly", RebalanceRules(), 100.0)
    fees = FeeTable([NO_FEES] * 5)
    with pytest.raises(BacktestCancelled):
        run_backtest(history.dates, history.closes, fees, spec, erc, cancelled=lambda: True)
    with pytest.raises(BacktestError, match="lookback"):
        run_backtest(history.dates[:200], history.closes[:200], fees, spec, erc)


def test_metrics_on_known_curves():
    dates = np.arange(np.datetime64("2020-01-01"), np.datetime64("2022-01-01"))
    dates = dates[np.is_busday(dates)]
    steady = 100.0 * 1.0001 ** np.arange(len(dates))
    stats = performance_stats(dates, steady)
    years = (dates[-1] - dates[0]).astype(float) / 365.25
    assert stats["cagr"] == pytest.approx((steady[-1] / 100) ** (1 / years) - 1)
    assert stats["max_drawdown"] == 0.0
    assert np.isnan(stats["calmar"])
    v_shape = np.array([100.0, 80.0, 60.0, 90.0, 120.0])
    assert performance_stats(dates[:5], v_shape)["max_drawdown"] == pytest.approx(0.4)
    np.testing.assert_allclose(drawdown(v_shape), [0, -0.2, -0.4, -0.1, 0])


def test_exchange_sessions_decide_rebalance_days_not_the_price_file():
    # The price file skips Fri 2024-02-23 and ends Thu 2024-03-28 (Good Friday 03-29 closed).
    dates = np.array(
        [
            "2024-01-30",
            "2024-01-31",
            "2024-02-21",
            "2024-02-22",
            "2024-02-26",
            "2024-02-28",
            "2024-03-27",
            "2024-03-28",
        ],
        dtype="datetime64[D]",
    )
    sessions = np.arange(np.datetime64("2024-01-02"), np.datetime64("2024-04-30"))
    sessions = sessions[np.is_busday(sessions, holidays=["2024-02-19", "2024-03-29"])]
    # Feb's last session is Thu 02-29, absent from the file: mapped to the last row before it.
    ends = period_end_indices(dates, "monthly", sessions)
    assert [str(dates[i]) for i in ends] == ["2024-01-31", "2024-02-28", "2024-03-28"]
    firsts = period_end_indices(dates, "monthly", sessions, anchor="first")
    assert [str(dates[i]) for i in firsts] == ["2024-02-21", "2024-03-27"]  # next row if absent
    with pytest.raises(ValueError, match="anchor"):
        period_end_indices(dates, "monthly", sessions, anchor="middle")


def test_turnover_counts_rebalances_the_guard_let_trade_not_withdrawal_sales(history):
    """Turnover = Σ over the rebalances after the first that traded (the over-trading guard
    skips some: NaN drift) of their notional / (2 × NAV before trading), per year. Monthly
    withdrawals with no cash buffer sell between rebalances and on guarded weeks: those sales
    are not rebalancing turnover."""
    spec = BacktestSpec(
        63,
        "weekly",
        RebalanceRules(band=0.01),
        1_000_000.0,
        contribution=-2_000.0,
        contribution_frequency="monthly",
        min_interval_days=45,
    )
    r = run_backtest(history.dates, history.closes, FeeTable([US_FIXED] * 5), spec, erc)
    first = int(np.searchsorted(history.dates, r.dates[0]))
    event_of = {d: e for e, d in enumerate(r.event_dates.tolist())}
    traded, guarded_sales = 0.0, 0
    for k, day in enumerate(r.rebalance_dates.tolist()):
        sold_or_bought = r.trades.dates == np.datetime64(day)
        if np.isnan(r.drift_at_rebalance[k]):
            guarded_sales += int(sold_or_bought.any())
            continue
        if k == 0:
            continue
        e = event_of[day]
        row = first + int(np.searchsorted(r.dates, np.datetime64(day)))
        nav = r.cash_after[e - 1] + r.holdings_after[e - 1] @ history.closes[row]
        notional = np.abs(r.trades.quantities[sold_or_bought]) @ r.trades.prices[sold_or_bought]
        traded += notional / (2.0 * nav)
    years = (r.dates[-1] - r.dates[0]).astype(float) / 365.25
    assert guarded_sales > 0  # the case this test is about happens
    assert r.turnover == pytest.approx(traded / years, rel=1e-12)


def test_withdrawals_that_empty_the_account_are_named_with_their_date(history):
    """Withdrawing more than the account holds leaves NAV 0: the backtest stops with the day
    and the fix, not the sizer's bare "NAV must be > 0" (which the CLI showed before)."""
    spec = BacktestSpec(63, "monthly", RebalanceRules(), 10_000.0, contribution=-3_000.0)
    fees = FeeTable([US_FIXED] * 5)
    with pytest.raises(BacktestError, match=r"emptied the account by \d{4}-\d\d-\d\d .*capital"):
        run_backtest(history.dates, history.closes, fees, spec, erc)
