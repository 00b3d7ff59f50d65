"""Every chart of the backtest screen, at 80x24; and results that arrive after it closed."""

import itertools
import re

from rp_tui.services.session import open_session
from rp_tui.ui.backtest_screen import data_notes
from rp_tui.ui.notice import NoticeScreen
from rp_tui.ui.plots import BarsPlot, LinesPlot, ValuePlot
from tests.ui.conftest import (
    REPO,
    SIZE,
    make_app,
    open_backtest,
    press,
    rows,
    settle,
    shows,
    until,
)


async def test_tabs_heatmap_annual_bars_and_log_scale(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_backtest(pilot)
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


def year_labels(text: str) -> list[int]:
    """The years under the chart's x axis (its last line of labels)."""
    lines = [line for line in text.splitlines() if re.fullmatch(r"[\s\d]+", line) and line.strip()]
    return [int(y) for y in lines[-1].split()]


async def test_axes_at_80x24_regular_years_round_labels_alike_in_log_scale(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_backtest(pilot)
        for key, tab in (("w", "weights"), ("v", "value")):
            await press(pilot, key, lambda tab=tab: screen.query_one("#bt-tabs").active == tab)
            text = await shows(pilot, "└")
            years = year_labels(text)
            assert len(years) >= 3 and len({b - a for a, b in itertools.pairwise(years)}) == 1
            if tab == "weights":  # 0 % on its own row, clear of the years
                assert re.search(r"^\s+0%┤", text, re.M), text
                assert not re.search(r"%\d{3}", text)
            linear = re.findall(r"^\s*([\d.]+k)┤", text, re.M) if tab == "value" else None
        value = screen.query_one(ValuePlot)
        await press(pilot, "g", lambda: value.log_scale)
        text = await shows(pilot, "(log scale)")
        logged = re.findall(r"^\s*(\S+)┤", text, re.M)
        assert logged and all(re.fullmatch(r"\d+(\.\d+)?k", label) for label in logged), logged
        assert linear and all(re.fullmatch(r"\d+k", label) for label in linear), linear


async def test_stats_tab_says_which_prices_and_fees_at_80x24(tmp_path, data_dir):
    session = open_session(REPO / "portfolio.toml")  # the multi-asset set: split-adjusted only
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_backtest(pilot)
        await press(pilot, "s", lambda: screen.query_one("#bt-tabs").active == "stats")
        await shows(pilot, "Final value", "Prices: bundled", "Caveat: closes", "f: in full")
        notes = " ".join(str(screen.query_one("#bt-notes").render()).split())
        for text in (
            "Prices: bundled multi-asset ETFs 2008-01-02..2016-07-01",
            "Caveat: closes adjusted for splits, not distributions",
            "Fees: IBKR commissions",
        ):
            assert text in notes, notes
        await press(pilot, "f", lambda: isinstance(app.screen, NoticeScreen))
        full = app.screen.message
        for text in ("LICENSE-mlfinpy", "leave out dividends and coupons", "Unverified"):
            assert text in full, full


def test_ibkr_backtests_say_they_ran_on_the_bundled_prices(session):
    from rp_tui.services.backtest import BacktestReport

    report = BacktestReport((), "erc", 252, "monthly", None, data_source="bundled X")
    assert data_notes(report, "ibkr")[1] == (
        "Not",
        "IBKR's history: the backtest ran on these prices",
    )
    assert len(data_notes(report, "demo")) == 1
    assert len(data_notes(report, "ibkr", own_prices=True)) == 1


async def test_results_arriving_after_the_screen_closed_are_dropped(session):
    """The worker checks for a cancel, then hands its result to the event loop: escape can
    come in between, and the result then reached a screen whose widgets were gone."""
    from rp_tui.ui.dashboard import DashboardScreen

    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_backtest(pilot)
        report = screen.report
        await press(pilot, "escape", lambda: isinstance(app.screen, DashboardScreen))
        await until(pilot, lambda: not screen.children, what="the closed screen's widgets gone")
        screen._progress(1.0)
        screen._show(report)
        screen._failed("too late")
