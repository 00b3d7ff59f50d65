"""A backtest replayed on its precomputed target path equals the one that allocates as it goes
(the same stateful allocator called in the same order), bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from rp_tui.domain.allocation import erc_weights
from rp_tui.domain.fee_model import FeeSchedule, FeeTable
from rp_tui.domain.rebalance import RebalanceRules
from rp_tui.domain.replay import BacktestCancelled, BacktestError, BacktestSpec, run_backtest
from rp_tui.domain.returns import sample_covariance, simple_returns
from rp_tui.domain.target_path import compute_path, rebalance_rows
from rp_tui.inputs.bundled_data import FACTOR_ETFS
from rp_tui.inputs.prices import load_prices

US_FIXED = FeeSchedule(
    key="us", name="us", currency="USD", per_share=0.005, minimum=1.0, max_rate_of_value=0.01
)


def stateful_erc():
    """An allocator that keeps state between calls (each window's weights blended with the
    last call's): the path must call it in the replay's order for the two to agree."""
    last = [None]

    def allocate(window):
        cov = sample_covariance(window)
        weights = erc_weights(cov)
        last[0] = weights if last[0] is None else 0.5 * (weights + last[0])
        return last[0], cov

    return allocate


@pytest.fixture(scope="module")
def history():
    return load_prices(bundled=FACTOR_ETFS)


@pytest.mark.parametrize(
    "rules",
    [
        RebalanceRules(band=0.01, cash_buffer=0.01),
        RebalanceRules(whole_shares=False),
        RebalanceRules(skip_uneconomic=True, mode="buy-only"),
    ],
)
def test_path_replay_equals_allocating_as_it_goes(history, rules):
    spec = BacktestSpec(126, "monthly", rules, 50_000.0, contribution=500.0)
    fees = FeeTable([US_FIXED] * 5)
    lazy = run_backtest(history.dates, history.closes, fees, spec, stateful_erc())
    rows = rebalance_rows(history.dates, "monthly", 126)
    path = compute_path(simple_returns(history.closes), history.dates, rows, 126, stateful_erc())
    replayed = run_backtest(history.dates, history.closes, fees, spec, None, path=path)
    for name in ("equity", "growth", "target_weights", "holdings_after", "cash_after"):
        assert np.array_equal(getattr(lazy, name), getattr(replayed, name)), name
    assert np.array_equal(lazy.trades.quantities, replayed.trades.quantities)
    assert lazy.stats == replayed.stats and lazy.fees_paid == replayed.fees_paid


def test_path_errors_name_the_date_and_cancel(history):
    rows = rebalance_rows(history.dates, "monthly", 126)
    returns = simple_returns(history.closes)

    def failing(window):
        raise ValueError("singular")

    with pytest.raises(BacktestError, match=f"allocation failed on {history.dates[rows[0]]}"):
        compute_path(returns, history.dates, rows, 126, failing)
    with pytest.raises(BacktestCancelled):
        compute_path(returns, history.dates, rows, 126, stateful_erc(), cancelled=lambda: True)
    seen = []
    compute_path(returns, history.dates, rows[:4], 126, stateful_erc(), seen.append)
    assert seen == [0.25, 0.5, 0.75, 1.0]
    with pytest.raises(BacktestError, match="no monthly period end with 5000 returns"):
        rebalance_rows(history.dates, "monthly", 5000)


class Batched:
    """An allocator with ``many``: ERC of each window's sample covariance; the window of
    ``bad_row`` cannot be weighted."""

    def __init__(self, returns, bad_row: int | None = None):
        self.bad = None if bad_row is None else returns[bad_row - 1]
        self.batches: list[int] = []

    def __call__(self, window):
        if self.bad is not None and (window[-1] == self.bad).all():
            raise ValueError("singular")
        cov = sample_covariance(window)
        return erc_weights(cov), cov

    def many(self, windows):
        self.batches.append(len(windows))
        return [self(w) for w in windows]


def test_many_gives_the_one_by_one_path_and_a_failure_still_names_its_date(history):
    rows = rebalance_rows(history.dates, "monthly", 126)
    returns = simple_returns(history.closes)
    batched = Batched(returns)
    path = compute_path(returns, history.dates, rows, 126, batched)
    alone = compute_path(returns, history.dates, rows, 126, lambda w: batched(w))
    assert np.array_equal(path.weights, alone.weights)
    assert batched.batches[0] == 32 and sum(batched.batches) == len(rows)
    bad = rows[40]  # inside the second chunk, not its first window
    with pytest.raises(BacktestError, match=f"allocation failed on {history.dates[bad]}"):
        compute_path(returns, history.dates, rows, 126, Batched(returns, bad))
    seen = []
    compute_path(returns, history.dates, rows[:40], 126, Batched(returns), seen.append)
    assert seen == [32 / 40, 1.0]
