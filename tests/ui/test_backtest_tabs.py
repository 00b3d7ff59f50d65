"""Every chart of the backtest screen, at 80x24."""

from rp_tui.ui.backtest_screen import BacktestScreen
from rp_tui.ui.plots import BarsPlot, LinesPlot, ValuePlot
from tests.ui.conftest import SIZE, make_app, press, rows, settle, shows, until


async def test_tabs_heatmap_annual_bars_and_log_scale(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "b", lambda: isinstance(app.screen, BacktestScreen))
        screen = app.screen
        await until(pilot, lambda: screen.report is not None, what="the backtest")
        monthly = rows(screen.query_one("#bt-monthly"))
        assert [r[0] for r in monthly] == [str(y) for y in range(2015, 2023)]
        assert monthly[1][1] != "" and monthly[0][1] == ""  # Jan 2015: before the start
        annual = screen.query_one(BarsPlot)
        assert len(annual._values) == 8
        prices = screen.query_one("#bt-prices", LinesPlot)
        assert set(prices._curves) == {"MTUM", "QUAL", "SIZE", "USMV", "VLUE"}
        assert all(abs(c[0] - 1.0) < 1e-12 for c in prices._curves.values())
        drawdowns = screen.query_one("#bt-drawdown", LinesPlot)._curves
        assert all(c.max() <= 0 for c in drawdowns.values())
        value = screen.query_one(ValuePlot)
        assert not value.log_scale
        await press(pilot, "g", lambda: value.log_scale)
        for key, tab in (
            ("m", "monthly"),
            ("a", "annual"),
            ("d", "drawdown"),
            ("o", "vol"),
            ("p", "prices"),
            ("s", "stats"),
        ):
            await press(pilot, key, lambda tab=tab: screen.query_one("#bt-tabs").active == tab)
        stats = {r[0]: r for r in rows(screen.query_one("#bt-stats"))}
        assert {
            "Best month",
            "Worst month",
            "Positive months",
            "Avg drift at rebalance",
            "Trades",
        } <= set(stats)
        await shows(pilot, "Stats")
