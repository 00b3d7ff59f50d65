"""The backtest weights each rebalance date exactly as the live plan weights that day: its
target weights are compute_targets' of the same window, bit for bit (nothing carried from
one rebalance to the next, batched or not)."""

from __future__ import annotations

import numpy as np
import pytest

from rp_tui.services.backtest import BacktestOptions, backtest
from rp_tui.services.policy import PolicyOverrides
from rp_tui.services.session import open_session
from rp_tui.services.targets import compute_targets


@pytest.mark.parametrize("interval", [0, 40])  # 40: the over-trading guard (no path)
def test_every_rebalance_target_is_the_live_target_of_that_day(interval):
    session = open_session("portfolio.toml")
    options = BacktestOptions(
        start="2013-06-01", benchmarks=(), policy=PolicyOverrides(min_interval_days=interval)
    )
    result = backtest(session, options).result
    assert len(result.rebalance_dates) > 30
    traded = ~np.isnan(result.drift_at_rebalance)  # the guard's skipped dates keep old targets
    for day, weights in zip(
        result.rebalance_dates[traded], result.target_weights[traded], strict=True
    ):
        live = compute_targets(session, as_of=str(day))
        assert np.array_equal(live.weights, weights), day


def test_downside_erc_too():
    session = open_session("portfolio.toml")
    result = backtest(session, BacktestOptions(start="2015-01-01", method="downside-erc")).result
    for day, weights in zip(result.rebalance_dates, result.target_weights, strict=True):
        live = compute_targets(session, method="downside-erc", as_of=str(day))
        assert np.array_equal(live.weights, weights), day
