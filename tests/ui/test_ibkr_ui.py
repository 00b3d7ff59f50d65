"""The TUI on the IBKR broker: the real ib_async client against the loopback TWS emulator."""

from __future__ import annotations

import asyncio
import time

import pytest

from rp_tui.broker.trade_log import TradeLog
from rp_tui.services import make_broker, open_session
from rp_tui.tws_emulator import OrderBehaviour, TwsEmulator, WhatIf, demo_scenario
from rp_tui.ui.app import RpTuiApp
from rp_tui.ui.confirm import ConfirmScreen
from rp_tui.ui.connect_failed import ConnectFailedScreen
from rp_tui.ui.dashboard import DashboardScreen
from rp_tui.ui.help_screen import HelpScreen
from rp_tui.ui.log_screen import LogScreen
from rp_tui.ui.preview import PreviewScreen
from rp_tui.ui.results import ResultsScreen
from rp_tui.ui.risk_screen import RiskScreen
from tests.ui.conftest import SIZE, THEMES, portfolio_copy, rows, screen_text


async def until(pilot, condition, timeout: float = 10.0) -> None:
    """Let the app run until ``condition()`` holds (the supervise worker never ends)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await pilot.pause(0.02)
        if condition():
            return
    raise AssertionError(f"timed out; the screen shows:\n{screen_text(pilot.app)}")


@pytest.fixture
async def emulator():
    async with TwsEmulator(demo_scenario()) as emu:
        yield emu


@pytest.fixture
def ibkr_session(tmp_path, data_dir):
    path = portfolio_copy(tmp_path, 'kind = "demo"', 'kind = "ibkr"')
    path.write_text(path.read_text().replace("read_only = true", "read_only = false"))
    return open_session(path)


def ibkr_app(session, port: int) -> RpTuiApp:
    return RpTuiApp(session, make_broker(session, "ibkr", port=port), theme_dirs=[THEMES])


def quantities(app) -> dict[str, str]:
    return {r[0]: r[3] for r in rows(app.dashboard.query_one("#positions"))}


async def test_dashboard_from_tws_then_preview_confirm_and_results(ibkr_session, emulator):
    emulator.scenario.what_if["SIZE"] = WhatIf(commission=1.37)
    app = ibkr_app(ibkr_session, emulator.port)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: app.plan is not None)
        assert quantities(app) == {
            "MTUM": "60",
            "QUAL": "75",
            "SIZE": "40",
            "USMV": "150",
            "VLUE": "90",
        }
        assert "ibkr DU1234567" in screen_text(app).splitlines()[1]
        assert {r[10] for r in rows(app.dashboard.query_one("#positions"))} == {"live"}
        assert app.connection.startswith("connected to DU1234567")
        orders = {o.symbol: o for o in app.plan.orders}
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, PreviewScreen))
        table = app.screen.query_one("#orders")
        await until(pilot, lambda: all(r[6] != "..." for r in rows(table)))
        tws = {r[1]: r[6] for r in rows(table)}
        assert tws["SIZE"] == "1.37" and tws.get("MTUM", "unknown") in ("1.00", "unknown")
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmScreen) and not app.screen.typed_account
        await pilot.press("y")
        await until(pilot, lambda: not app.executing and app.plan is not None)
        placed = [p for p in emulator.placed_orders if not p.what_if]
        assert {p.symbol for p in placed} == set(orders)
        assert all(p.order_ref.startswith("rp-tui:") for p in placed)
        await until(pilot, lambda: quantities(app)["SIZE"] != "40")
        bought = orders["SIZE"].quantity
        assert quantities(app)["SIZE"] == str(int(40 + bought))
        events = {r["event"] for r in TradeLog().read()}
        assert {"intent", "submitted", "fill", "result"} <= events
        await pilot.press("l")
        assert isinstance(app.screen, LogScreen)
        logged = rows(app.screen.query_one("#log"))
        assert any(r[1] == "intent" and r[2] == "SIZE" for r in logged)
        assert any(r[1] == "fill" for r in logged)
        app.broker.disconnect()


async def test_a_rejected_order_shows_its_reason(ibkr_session, emulator):
    app = ibkr_app(ibkr_session, emulator.port)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: app.plan is not None)
        first = app.plan.orders[0].symbol
        emulator.scenario.behaviour_by_symbol[first] = OrderBehaviour.reject("no permission")
        await pilot.press("p", "enter", "y")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen), timeout=15)
        results = rows(app.screen.query_one("#results"))
        rejected = next(r for r in results if r[1] == first)
        assert rejected[5] == "rejected" and "no permission" in rejected[6]
        await pilot.press("escape")
        app.broker.disconnect()


async def test_unreachable_tws_offers_the_demo_account(ibkr_session):
    app = ibkr_app(ibkr_session, 1)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ConnectFailedScreen))
        assert "127.0.0.1:1" in screen_text(app)
        await pilot.press("d")
        await until(pilot, lambda: app.plan is not None)
        assert app.broker.kind == "demo" and isinstance(app.screen, DashboardScreen)
        assert "demo DEMO-RP1" in screen_text(app).splitlines()[1]


async def test_live_account_needs_its_id_typed(tmp_path, data_dir, emulator):
    path = portfolio_copy(tmp_path, 'kind = "demo"', 'kind = "ibkr"')
    path.write_text(
        path.read_text()
        .replace("read_only = true", "read_only = false")
        .replace("allow_live = false", "allow_live = true")
    )
    emulator.scenario.accounts[0].account_id = "U7654321"
    for position in emulator.scenario.positions:
        position.account = "U7654321"
    app = ibkr_app(open_session(path), emulator.port)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: app.plan is not None)
        await pilot.press("p", "enter")
        assert isinstance(app.screen, ConfirmScreen) and app.screen.typed_account
        await pilot.press("y")  # not a confirmation for a live account
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("backspace", *"U0000000", "enter")
        await until(pilot, lambda: not app.executing and app.plan is not None)
        assert not [p for p in emulator.placed_orders if not p.what_if], "wrong id: nothing sent"
        await pilot.press("p", "enter", *"U7654321", "enter")
        await until(pilot, lambda: [p for p in emulator.placed_orders if not p.what_if])
        app.broker.disconnect()


async def test_dropped_connection_shows_retrying_without_freezing(ibkr_session, emulator):
    app = ibkr_app(ibkr_session, emulator.port)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.plan is not None)
        await emulator.stop()
        await until(pilot, lambda: "retrying in" in screen_text(app).splitlines()[1])
        await pilot.press("?")  # the UI still answers keys
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await emulator.start()
        await until(pilot, lambda: app.connection.startswith("connected"), timeout=15)
        app.broker.disconnect()


async def test_kill_switch_halts_execution(ibkr_session, emulator):
    app = ibkr_app(ibkr_session, emulator.port)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: app.plan is not None)
        await pilot.press("k", "h")
        await until(pilot, lambda: "HALTED" in screen_text(app).splitlines()[1])
        await pilot.press("p", "enter", "y")
        await until(pilot, lambda: not app.executing and app.plan is not None)
        await asyncio.sleep(0.1)
        assert not [p for p in emulator.placed_orders if not p.what_if]
        assert any("HALTED" in str(n.message) for n in app._notifications)
        app.broker.disconnect()


async def test_risk_screen_on_the_demo_account(session):
    from tests.ui.conftest import make_app

    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.plan is not None)
        await pilot.press("v")
        assert isinstance(app.screen, RiskScreen)
        table = app.screen.query_one("#risk-assets")
        await until(pilot, lambda: table.row_count == 5)
        assert {r[5] for r in rows(table)} == {"20.00%"}  # ERC targets: equal contributions
        assert app.screen.query_one("#risk-var").row_count == 12
        assert app.screen.query_one("#risk-corr").row_count == 5
        await pilot.press("escape", "d")
        assert app.dashboard.risk_drift
        assert "RC drift" in screen_text(app)
