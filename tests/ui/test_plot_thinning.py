"""Charts draw what the width shows: thin() keeps every run's lowest and highest point (no
peak or trough lost), the first and last, in order; a long backtest's lines are thinned."""

from __future__ import annotations

import numpy as np
import pytest

from rp_tui.ui.plots import LinesPlot, thin
from tests.ui.conftest import SIZE, make_app, open_backtest, press, settle, until


@pytest.mark.parametrize("n", [0, 1, 5, 399, 400, 801, 8_123])
def test_thin_keeps_the_ends_and_every_runs_extremes(n):
    values = np.cumsum(np.random.default_rng(n).normal(size=n))
    kept = thin(values, 200)
    assert np.array_equal(kept, np.unique(kept))  # increasing, no repeat
    if n <= 400:
        assert np.array_equal(kept, np.arange(n))
        return
    assert kept[0] == 0 and kept[-1] == n - 1 and len(kept) <= 2 * 200 + 4
    size = -(-n // 200)
    for start in range(0, n, size):
        run = values[start : start + size]
        assert start + run.argmin() in kept and start + run.argmax() in kept


async def test_a_backtests_lines_are_thinned_to_the_width(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_backtest(pilot)
        await press(pilot, "d", lambda: screen.query_one("#bt-tabs").active == "drawdown")
        plot = screen.query_one("#bt-drawdown", LinesPlot)

        def drawn() -> list:  # what plotext was given, a list of x values per line
            return plot.plt._active.monitor.x if plot.size.width else []

        await until(pilot, lambda: len(drawn()) == 2, what="the lines")
        days = len(plot._dates)
        assert days > 1_500  # the bundled prices: years of days
        first, last = plot._dates[[0, -1]].astype(np.int64).tolist()
        for x in drawn():
            assert 10 < len(x) <= 2 * plot.columns + 4 < days / 2  # thinned to the width
            assert (x[0], x[-1]) == (first, last)  # the ends are kept
