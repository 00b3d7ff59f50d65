"""The issue #2 slice end to end at 80x24: dashboard, preview, confirm, execute, backtest."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, ProgressBar

from rp_tui.broker.demo import state_path
from rp_tui.services.backtest import BacktestOptions, backtest
from rp_tui.services.plan import build_plan
from rp_tui.services.plan_records import Plan
from rp_tui.services.session import make_broker, open_session
from rp_tui.ui import format as fmt
from rp_tui.ui.app import RpTuiApp
from rp_tui.ui.backtest_screen import BacktestScreen
from rp_tui.ui.confirm import ConfirmScreen
from rp_tui.ui.dashboard import DashboardScreen
from rp_tui.ui.plots import ValuePlot
from rp_tui.ui.preview import PreviewScreen
from rp_tui.ui.results import ResultsScreen

from .conftest import (
    SIZE,
    make_app,
    named_rows,
    open_backtest,
    portfolio_copy,
    press,
    rows,
    screen_text,
    settle,
    shows,
    toast,
    until,
)

SYMBOLS = ["MTUM", "QUAL", "SIZE", "USMV", "VLUE"]


async def expected_plan(session) -> Plan:
    """The plan the services build for the same account (a separate broker object)."""
    return await build_plan(session, make_broker(session))


def quantities(app: RpTuiApp) -> dict[str, str]:
    table = app.dashboard.query_one("#positions", DataTable)
    return {row["symbol"]: row["quantity"] for row in named_rows(table)}


async def test_dashboard_shows_positions_totals_and_status(session):
    plan = await expected_plan(session)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        table = app.screen.query_one("#positions", DataTable)
        cells = named_rows(table)
        assert [r["symbol"] for r in cells] == SYMBOLS
        assert all(cell.isascii() for row in cells for cell in row.values())  # no wide glyphs
        usmv = cells[3]
        assert [usmv[k] for k in ("currency", "quantity")] == ["USD", "254"]
        assert usmv["price"] == fmt.number(plan.positions[3].price)  # 71.13
        assert usmv["drift"] == fmt.points(plan.positions[3].drift) == "-3.18 pp"
        assert cells[1]["drift"] == "+1.52 pp"
        assert {r["data"] for r in cells} == {"close"}  # the demo prices at the close
        # risk contributions are shares of variance: they sum to 100 %
        assert abs(sum(float(r["risk"].rstrip("%")) for r in cells) - 100) < 0.05
        footer = ("p Preview", "b Backtest", "l Log", "k Kill switch", "q Quit", "? Help")
        text = await shows(
            pilot,
            f"NAV {fmt.money(plan.nav, 'USD')}",
            f"Cash {fmt.money(plan.cash, 'USD')}",
            "Largest |drift| 3.18 pp (USMV)",
            "demo DEMO-RP1 PAPER | ACTIVE",
            "Symbol",
            *footer,
        )
        status = text.splitlines()[1]
        assert "demo DEMO-RP1 PAPER | ACTIVE" in status and "erc 252d" in status
        assert "as of 2022-12-28" in status and "band 1.00 pp" in status
        # at 80 columns the table fits: every column up to the currency, the exchange left
        # out rather than cut to a letter (no horizontal scrollbar either)
        header = text.splitlines()[3].split()
        assert header == ["Symbol", "Qty", "Price", "Data", "Value", "USD", "Weight",
                          "Target", "Drift", "Risk", "Ccy"]  # fmt: skip
        assert table.virtual_size.width <= table.size.width
        for key in footer:
            assert key in text  # the footer, at 80 columns
        await pilot.resize_terminal(120, 40)  # room for the exchange
        await until(pilot, lambda: "exchange" in table.columns, what="the Exch column")
        assert named_rows(table)[3]["exchange"] == "SMART"
        await shows(pilot, "Exch")


async def test_preview_lists_the_plan_orders_and_totals(session):
    plan = await expected_plan(session)
    expected = [[o.side, o.symbol, fmt.quantity(o.quantity)] for o in plan.orders]
    assert expected == [["SELL", "QUAL", "11"], ["SELL", "SIZE", "12"], ["BUY", "USMV", "26"]]
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "p", lambda: isinstance(app.screen, PreviewScreen))

        table = app.screen.query_one("#orders", DataTable)
        await until(pilot, lambda: table.row_count == 3, what="the orders")
        cells = [[cell.strip() for cell in row] for row in rows(table)]
        assert [r[:3] for r in cells] == expected
        # the demo has no what-if estimate: no TWS column; a sell's estimated realised gain
        assert "tws" not in table.columns
        gains = [fmt.number(o.realised_gain) for o in plan.orders[:2]]
        assert gains == ["-341.46", "-275.52"]
        assert [r[6] for r in cells] == [*gains, ""]  # a buy realises nothing
        assert cells[2][3:] == ["71.13", "1,849.48", "1.00", "", "USD"]
        await shows(
            pilot,
            "Sold 2,564.16 USD   Bought 1,849.48 USD   Est. realised gain -616.98 USD",
            f"Est. commission {fmt.money(plan.total_commission, 'USD')}",
            f"{fmt.money(plan.cash_after, 'USD')} after",
            f"Kept as cash: {fmt.money(plan.reserve, 'USD')} (the cash buffer)",
        )
        # the footer names the confirm key
        await until(pilot, lambda: "Confirm" in screen_text(app).splitlines()[-1])
        await press(pilot, "escape", lambda: isinstance(app.screen, DashboardScreen))


async def test_preview_without_orders_says_why(tmp_path, data_dir):
    # a 50 % band (just under the limit) leaves every asset inside it
    session = open_session(portfolio_copy(tmp_path, "band = 0.01", "band = 0.49"))
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "p", lambda: isinstance(app.screen, PreviewScreen))
        await shows(pilot, "No orders: every asset is within the 49.00 pp band")
        await until(pilot, lambda: "Back" in screen_text(app).splitlines()[-1])
        assert "Confirm" not in screen_text(app).splitlines()[-1]  # no confirm key offered
        await pilot.press("enter")
        await pilot.press("x")
        # nothing to confirm: Esc after them leaves the preview itself (it would only close a
        # confirmation had one opened)
        await press(pilot, "escape", lambda: isinstance(app.screen, DashboardScreen))
        assert len(app.screen_stack) == 1


async def test_confirm_then_no_or_escape_changes_nothing(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = state_path().read_bytes()
        for cancel in ("n", "escape"):
            await press(pilot, "p", lambda: isinstance(app.screen, PreviewScreen))
            await press(pilot, "enter", lambda: isinstance(app.screen, ConfirmScreen))
            await shows(
                pilot,
                "Execute 3 orders?",
                "SELL 11 QUAL @ 111.88 = 1,230.71 USD",
                "y: execute    n / Esc: cancel",
            )
            await press(pilot, cancel, lambda: isinstance(app.screen, PreviewScreen))
            await press(pilot, "escape", lambda: isinstance(app.screen, DashboardScreen))
        await settle(pilot)
        assert state_path().read_bytes() == before
        assert quantities(app)["USMV"] == "254"


async def test_confirm_yes_executes_and_the_account_persists(session, data_dir):
    plan = await expected_plan(session)
    new = {p.symbol: p.quantity for p in plan.positions}
    for o in plan.orders:
        new[o.symbol] += o.quantity if o.side == "BUY" else -o.quantity
    expected = {s: fmt.quantity(q) for s, q in new.items()}
    assert expected == {"MTUM": "112", "QUAL": "129", "SIZE": "137", "USMV": "280", "VLUE": "191"}

    app = make_app(session)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "p", lambda: isinstance(app.screen, PreviewScreen))
        await press(pilot, "enter", lambda: isinstance(app.screen, ConfirmScreen))
        await press(
            pilot,
            "y",
            lambda: (
                isinstance(app.screen, ResultsScreen)
                and app.screen.query_one("#results", DataTable).row_count == 3
            ),
        )
        results = named_rows(app.screen.query_one("#results", DataTable))
        assert [(r["Symbol"], r["Filled"], r["Status"]) for r in results] == [
            ("QUAL", "11/11", "filled"), ("SIZE", "12/12", "filled"), ("USMV", "26/26", "filled")
        ]  # fmt: skip
        commissions = {o.symbol: fmt.money(o.commission, o.currency) for o in plan.orders}
        assert {r["Symbol"]: r["Comm."] for r in results} == commissions
        await shows(pilot, "3 orders filled")
        await press(pilot, "escape", lambda: isinstance(app.screen, DashboardScreen))
        await until(pilot, lambda: quantities(app) == expected, what="the new quantities")
        await shows(pilot, f"Cash {fmt.money(plan.cash_after, 'USD')}", "nothing to trade")

    # a new app over the same data dir reads the saved account
    again = make_app(open_session(session.portfolio.path))
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await until(pilot, lambda: quantities(again) == expected, what="the saved quantities")
        assert again.plan is not None and again.plan.orders == ()
    assert state_path().parent == data_dir


async def test_backtest_runs_in_a_thread_and_shows_stats(session):
    report = backtest(session, BacktestOptions())
    cagr = fmt.percent(report.to_json()["stats"]["cagr"])
    bench_cagr = fmt.percent(report.benchmark.stats["cagr"])
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_backtest(pilot)
        assert screen.query_one(ProgressBar).progress == 1.0
        await shows(pilot, "Portfolio value, USD", "2015-01-30 to 2022-12-28", "v Value", "s Stats")
        await press(pilot, "s", lambda: screen.query_one("#bt-tabs").active == "stats")
        table = screen.query_one("#bt-stats", DataTable)
        stats = {r[0]: r[1:] for r in rows(table)}
        assert stats["CAGR"] == [cagr, bench_cagr]
        assert stats["Rebalances"] == [str(report.to_json()["rebalances"])] * 2
        assert stats["Fees paid"][0] == fmt.money(report.result.fees_paid, "USD")
        assert set(stats) >= {"Volatility (annual)", "Sharpe (rf 0)", "Sortino", "Calmar",
                              "Max drawdown", "Turnover (per year)"}  # fmt: skip
        await shows(pilot, f"CAGR{' ' * 3}", cagr)
        await pilot.press("w")
        await shows(pilot, "Target weights at each rebalance")
        await press(pilot, "escape", lambda: isinstance(app.screen, DashboardScreen))


async def test_backtest_escape_returns_at_once(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "b", lambda: isinstance(app.screen, BacktestScreen))
        await press(pilot, "escape", lambda: isinstance(app.screen, DashboardScreen))
        await settle(pilot)  # the cancelled thread ends
        assert not app.screen.query(ValuePlot)
        assert len(app.screen_stack) == 1


async def test_plan_error_is_shown_and_the_dashboard_stays_usable(tmp_path, data_dir):
    # 4000 returns do not exist in the bundled history: building targets raises DataError
    session = open_session(portfolio_copy(tmp_path, "lookback = 252", "lookback = 4000"))
    app = make_app(session)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert app.plan is None and "lookback needs 4000" in (app.plan_error or "")
        # the status line says so (cut at 80 columns), the full reason is below the table
        await until(
            pilot,
            lambda: screen_text(app).splitlines()[1].strip().startswith("No plan: "),
            what="'No plan' on the status line",
        )
        await shows(pilot, "lookback needs 4000")
        await toast(pilot, "Cannot build the plan")
        await pilot.press("p")
        await toast(pilot, "No plan to preview")
        assert isinstance(app.screen, DashboardScreen)
        await press(pilot, "b", lambda: isinstance(app.screen, BacktestScreen))
        await until(pilot, lambda: "failed" in screen_text(app).splitlines()[1])
        await shows(pilot, "no monthly period end with 4000 returns")
        await press(pilot, "escape", lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen) and app.is_running


async def test_q_quits(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "q", lambda: not app.is_running)


def test_number_formats():
    assert fmt.points(0.0152) == "+1.52 pp" and fmt.points(-0.00001) == "+0.00 pp"
    assert fmt.points(0.01, signed=False) == "1.00 pp"
    assert fmt.percent(0.19294) == "19.29%" and fmt.percent(float("nan")) == "n/a"
    assert fmt.money(83430.959, "USD") == "83,430.96 USD"
    assert fmt.quantity(1250.0) == "1,250" and fmt.quantity(1.5) == "1.5"


def test_data_dir_fixture_isolates_the_demo_account(data_dir: Path):
    assert state_path() == data_dir / "demo-account.json"
