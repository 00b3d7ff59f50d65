"""What the plan now carries, on the dashboard and in the preview: holdings outside
portfolio.toml, the method's notes, the whole policy, the schedule, the over-trading guard,
realised gains, unverified fee figures, and a deposit or withdrawal planned with ``c``."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from rp_tui.broker.demo import state_path
from rp_tui.services.session import make_broker, open_session
from rp_tui.state.trade_log import TradeLog
from rp_tui.ui import format as fmt
from rp_tui.ui.cash_flow import CashFlowScreen, parse_cash_flow
from rp_tui.ui.confirm import ConfirmScreen
from rp_tui.ui.dashboard import DashboardScreen
from rp_tui.ui.help_screen import HelpScreen
from rp_tui.ui.preview import PreviewScreen
from rp_tui.ui.results import ResultsScreen
from tests.ui.conftest import (
    PORTFOLIO,
    REPO,
    SIZE,
    make_app,
    named_rows,
    press,
    screen_text,
    settle,
    shows,
    toast,
    until,
)


async def without_vlue(tmp_path, *changes: tuple[str, str]):
    """The factor portfolio without VLUE, over a demo account seeded with all five: VLUE
    is then a holding outside portfolio.toml. ``changes``: (old, new) text replacements."""
    await make_broker(open_session(PORTFOLIO)).snapshot()  # seeds 191 VLUE
    text = PORTFOLIO.read_text(encoding="utf-8")
    text = text.replace(text[text.index('[[assets]]\nsymbol = "VLUE"') :], "")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "portfolio.toml"
    path.write_text(text, encoding="utf-8")
    return open_session(path)


def positions(app) -> dict[str, dict[str, str]]:
    return {r["symbol"]: r for r in named_rows(app.dashboard.query_one("#positions"))}


async def test_holdings_outside_the_portfolio_are_rows_marked_and_explained(tmp_path, data_dir):
    nav = (await build(open_session(PORTFOLIO))).nav
    session = await without_vlue(tmp_path)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rows = positions(app)
        assert list(rows) == ["MTUM", "QUAL", "SIZE", "USMV", "VLUE*"]
        assert rows["VLUE*"]["quantity"] == "191" and rows["VLUE*"]["risk"] == "-"
        assert app.plan.nav == nav  # counted in NAV
        await shows(
            pilot,
            f"NAV {fmt.money(nav, 'USD')}",
            "* not in portfolio.toml: VLUE: kept (20.3% of NAV), counted in NAV and never",
        )
        assert "VLUE" not in {o.symbol for o in app.plan.orders}

    selling = await without_vlue(
        tmp_path, ('outside_holdings = "keep"', 'outside_holdings = "sell"')
    )  # fmt: skip
    app = make_app(selling)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await shows(pilot, "* not in portfolio.toml: VLUE: sold to zero (outside_holdings)")
        assert positions(app)["VLUE*"]["target"] == "0.00%"
        sell = next(o for o in app.plan.orders if o.symbol == "VLUE")
        assert sell.side == "SELL" and sell.quantity == 191


async def build(session):
    from rp_tui.services.plan import build_plan

    return await build_plan(session, make_broker(session))


async def test_notes_the_whole_policy_and_the_schedule(tmp_path, data_dir):
    budgets = ('exchange = "SMART"\n', 'exchange = "SMART"\nbudget = 0.25\n')
    session = await without_vlue(tmp_path, budgets, ("min_trade = 0.0", "min_trade = 50.0"))
    TradeLog().append(
        "scheduled_run", due=True, run_key="monthly:2026-11", outcome="planned", message="ok"
    )
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = await shows(
            pilot,
            "Note: method erc gives every asset the same risk budget",
            "Policy: monthly; band 1.00 pp abs; trade outside-band; full; buffer 1.00%;",
            "min trade 50 USD; max comm. off; skip uneconomic off; min interval off",
            "Schedule: next 2026-12-31 10:00 EST (XNYS), plans only; last monthly:2026-11",
        )
        assert all(len(line) <= 80 for line in text.splitlines())
        await pilot.resize_terminal(120, 40)
        await shows(
            pilot,
            "Policy: monthly, on the last trading day of the first asset's exchange; band",
            "1.00 pp (absolute)",
            "whole shares; outside holdings keep",
            "= 2026-12-31 15:00 UTC here, monthly:2026-12",
        )


async def test_the_over_trading_guard_names_the_last_rebalance(tmp_path, data_dir):
    path = tmp_path / "portfolio.toml"
    text = PORTFOLIO.read_text(encoding="utf-8")
    path.write_text(text.replace("min_interval_days = 0", "min_interval_days = 30"))
    traded = TradeLog().append("result", symbol="QUAL", side="SELL", filled=11.0)
    app = make_app(open_session(path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.plan.orders == () and app.plan.withheld.startswith("over-trading guard")
        day = traded["ts"][:10]
        await shows(pilot, f"No orders: over-trading guard: the last rebalance traded on {day}")
        await press(pilot, "p", lambda: isinstance(app.screen, PreviewScreen))
        await shows(pilot, "No orders: over-trading guard", "min_interval_days = 30")
        assert "no whole-share trade fits" not in screen_text(app)


async def test_preview_marks_unverified_fee_figures_and_estimates_gains(data_dir):
    session = open_session(REPO / "portfolio.toml")  # multi-asset: a 2016 SEC fee figure
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "p", lambda: isinstance(app.screen, PreviewScreen))
        table = app.screen.query_one("#orders", DataTable)
        await until(pilot, lambda: table.row_count == 7, what="the orders")
        cells = {r["symbol"]: r for r in named_rows(table)}
        assert cells["SPY"]["commission"] == "1.12*" and cells["SPY"]["gain"] == "66.36"
        assert cells["IEF"]["gain"] == ""  # a buy
        assert table.virtual_size.width <= table.size.width  # every column fits 80
        await shows(
            pilot,
            "Est. realised gain -701.03 USD",
            "* unverified fee figure: SEC Section 31 fee USD 21.80/M from 2016-02-16",
        )


def test_cash_flow_amounts_are_checked():
    assert parse_cash_flow("+5000", 10_000, "USD") == 5000.0
    assert parse_cash_flow(" -2,000 ", 10_000, "USD") == -2000.0
    assert parse_cash_flow("", 10_000, "USD") == 0.0
    for bad, why in (("+-5", "not an amount"), ("-10001", "more than the NAV 10,000.00 USD"),
                     ("1" + "0" * 400, "not a finite amount")):  # fmt: skip
        try:
            parse_cash_flow(bad, 10_000, "USD")
        except ValueError as exc:
            assert why in str(exc), (bad, exc)
        else:
            raise AssertionError(f"{bad!r} accepted")


async def type_amount(pilot, text: str) -> None:
    box = pilot.app.screen.query_one("#cash-amount", Input)
    box.value = ""
    for char in text:
        await pilot.press(char)
    await until(pilot, lambda: box.value == text, what=f"{text!r} typed")
    await pilot.press("enter")


async def test_a_deposit_planned_with_c_is_previewed_and_booked(session, data_dir):
    app = make_app(session)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        nav = app.plan.nav
        await press(pilot, "c", lambda: isinstance(app.screen, CashFlowScreen))
        await shows(pilot, "Deposit (+5000) or withdrawal (-2000), USD; NAV 83,430.96 USD")
        await type_amount(pilot, "-90000")  # more than the account holds: said, not planned
        await shows(pilot, "a withdrawal of 90,000.00 USD is more than the NAV 83,430.96 USD")
        assert isinstance(app.screen, CashFlowScreen)
        await type_amount(pilot, "+5000")
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await toast(pilot, "Planning a deposit of 5,000.00 USD")
        await until(pilot, lambda: app.plan is not None and app.plan.cash_flow == 5000)
        await settle(pilot)
        await shows(pilot, "Planned with a deposit 5,000.00 USD (in the cash above)")
        planned = app.plan
        assert {o.side for o in planned.orders} == {"BUY"}  # a deposit is spent
        await press(pilot, "p", lambda: isinstance(app.screen, PreviewScreen))
        await shows(
            pilot,
            "Sold 0.00 USD   Bought",  # with its currency, even when nothing is sold
            "Cash flow: a deposit 5,000.00 USD, counted in the cash now and booked when",
        )
        await press(pilot, "enter", lambda: isinstance(app.screen, ConfirmScreen))
        await shows(pilot, "Planned with a deposit 5,000.00 USD")
        await press(pilot, "y", lambda: isinstance(app.screen, ResultsScreen))
        await press(pilot, "escape", lambda: isinstance(app.screen, DashboardScreen))
        await until(pilot, lambda: not app.executing and app.plan is not None)
        assert app.cash_flow == 0.0 and app.plan.cash_flow == 0.0  # used up by the run
        # booked (written ahead like a fill): the NAV grew by it, less the commissions
        booked = [r for r in TradeLog().read() if r.get("side") == "CASH"]
        assert [(r["quantity"], r["why"]) for r in booked] == [(5000.0, "deposit")]
        assert abs(app.plan.nav - (nav + 5000 - planned.total_commission)) < 0.01
        assert state_path().exists()


async def test_c_is_listed_in_help_and_the_palette(session):
    app = make_app(session)
    async with app.run_test(size=(80, 60)) as pilot:
        await settle(pilot)
        assert "Cash flow" in [c.title for c in app.get_system_commands(app.screen)]
        await press(pilot, "question_mark", lambda: isinstance(app.screen, HelpScreen))
        await shows(pilot, "c       Cash flow: deposit / withdrawal", "Plan with +5000 / -2000")
