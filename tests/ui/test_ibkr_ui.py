"""The TUI on the IBKR broker: the real ib_async client against the loopback TWS emulator,
in the Pilot's own event loop."""

from __future__ import annotations

import time

import pytest

from rp_tui.services.session import make_broker, open_session
from rp_tui.state.trade_log import TradeLog
from rp_tui.tws_emulator import OrderBehaviour, Quote, TwsEmulator, WhatIf, demo_scenario
from rp_tui.ui.app import RpTuiApp
from rp_tui.ui.confirm import ConfirmScreen
from rp_tui.ui.connect_failed import ConnectFailedScreen
from rp_tui.ui.dashboard import DashboardScreen
from rp_tui.ui.help_screen import HelpScreen
from rp_tui.ui.kill_switch import TradingStateScreen
from rp_tui.ui.log_screen import LogScreen
from rp_tui.ui.notice import NoticeScreen
from rp_tui.ui.preview import PreviewScreen
from rp_tui.ui.results import ResultsScreen
from rp_tui.ui.risk_screen import RiskScreen
from tests.ui.conftest import (
    PORTFOLIO,
    SIZE,
    THEMES,
    named_rows,
    rows,
    screen_text,
)

HELD = {"MTUM": "60", "QUAL": "75", "SIZE": "40", "USMV": "150", "VLUE": "90"}


async def results(pilot) -> list[dict[str, str]]:
    """The results table once it is on screen (it fills on mount)."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, ResultsScreen), timeout=15)
    await until(pilot, lambda: app.screen.query_one("#results").row_count > 0)
    return named_rows(app.screen.query_one("#results"))


async def until(pilot, condition, timeout: float = 10.0) -> None:
    """Let the app run until ``condition()`` holds (the supervise worker never ends)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await pilot.pause(0.02)
        if condition():
            return
    raise AssertionError(f"timed out; the screen shows:\n{screen_text(pilot.app)}")


def status_line(app) -> str:
    return screen_text(app).splitlines()[1].strip()


def notes(app) -> str:
    """Every notification the app raised so far, title and text."""
    return "\n".join(f"{n.title}: {n.message}" for n in app._notifications)


def sent(emulator) -> list:
    """Real orders the emulator received (what-if probes excluded)."""
    return [p for p in emulator.placed_orders if not p.what_if]


@pytest.fixture
async def emulator():
    async with TwsEmulator(demo_scenario()) as emu:
        yield emu


def ibkr_config(tmp_path, **changes: str):
    """The shipped portfolio.toml on the IBKR broker, trading allowed, with ``changes``
    (``old=new`` text replacements keyed by a label) applied."""
    text = PORTFOLIO.read_text().replace('kind = "demo"', 'kind = "ibkr"')
    text = text.replace("read_only = true", "read_only = false")
    for old, new in changes.values():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "portfolio.toml"
    path.write_text(text)
    return path


@pytest.fixture
def ibkr_session(tmp_path, data_dir):
    return open_session(ibkr_config(tmp_path))


def ibkr_app(session, port: int) -> RpTuiApp:
    return RpTuiApp(session, make_broker(session, "ibkr", port=port), theme_dirs=[THEMES])


def positions(app) -> dict[str, dict[str, str]]:
    return {r["symbol"]: r for r in named_rows(app.dashboard.query_one("#positions"))}


def quantities(app) -> dict[str, str]:
    return {symbol: r["quantity"] for symbol, r in positions(app).items()}


async def test_dashboard_and_preview_from_tws(ibkr_session, emulator):
    emulator.scenario.quotes["MTUM"].live = False  # delayed data only
    emulator.scenario.quotes["VLUE"] = Quote(close=112.0)  # yesterday's close only: blocked
    emulator.scenario.what_if["SIZE"] = WhatIf(commission=1.37)
    emulator.scenario.what_if["QUAL"] = WhatIf(commission=None)  # TWS: no value
    app = ibkr_app(ibkr_session, emulator.port)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: app.plan is not None)
        assert quantities(app) == HELD
        status = status_line(app)
        assert status.startswith(f"connected to DU1234567 at 127.0.0.1:{emulator.port} | ACTIVE")
        kinds = {symbol: r["data"] for symbol, r in positions(app).items()}
        assert kinds == {"MTUM": "delay", "QUAL": "live", "SIZE": "live", "USMV": "live",
                         "VLUE": "mark"}  # fmt: skip
        text = screen_text(app)
        assert "Blocked VLUE: only yesterday's close arrived" in text
        assert "Data" in text.splitlines()[3]  # the column is on screen at 80 columns
        await pilot.press("p")
        assert isinstance(app.screen, PreviewScreen)
        table = app.screen.query_one("#orders")
        await until(pilot, lambda: all(r["tws"] != "..." for r in named_rows(table)))
        tws = {r["symbol"]: r["tws"] for r in named_rows(table)}
        assert tws["SIZE"] == "1.37" and tws["QUAL"] == "unknown" and tws["MTUM"] == "1.00"
        assert "VLUE" not in tws  # blocked: no order ...
        assert "Blocked VLUE" in screen_text(app)  # ... and the preview says why
        await pilot.press("escape")
    assert not app.broker.ib.isConnected()  # closed when the app ended


async def test_confirm_executes_shows_results_and_logs(ibkr_session, emulator):
    app = ibkr_app(ibkr_session, emulator.port)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: app.plan is not None)
        orders = {o.symbol: o for o in app.plan.orders}
        assert set(orders) == set(HELD)  # 25,000 USD cash: every asset is bought
        await pilot.press("p", "enter")
        assert isinstance(app.screen, ConfirmScreen) and not app.screen.typed_account
        await pilot.press("y")
        shown = await results(pilot)
        assert {p.symbol for p in sent(emulator)} == set(orders)
        assert all(p.order_ref.startswith("rp-tui:") for p in sent(emulator))
        assert {r["Status"] for r in shown} == {"filled"}
        assert all(r["Comm."] == "1.00 USD" for r in shown)
        size = next(r for r in shown if r["Symbol"] == "SIZE")
        assert size["Filled"] == f"{orders['SIZE'].quantity:.0f}/{orders['SIZE'].quantity:.0f}"
        assert "5 orders filled" in screen_text(app)
        await pilot.press("escape")
        await until(pilot, lambda: not app.executing and quantities(app)["SIZE"] != "40")
        assert quantities(app)["SIZE"] == str(int(40 + orders["SIZE"].quantity))
        events = {r["event"] for r in TradeLog().read()}
        assert {"intent", "submitted", "fill", "result"} <= events
        await pilot.press("l")
        assert isinstance(app.screen, LogScreen)
        logged = named_rows(app.screen.query_one("#log"))
        assert logged[0]["Event"] == "result"  # newest first
        assert any(r["Event"] == "intent" and r["Symbol"] == "SIZE" for r in logged)
        fills = [r for r in logged if r["Event"] == "fill"]
        assert len(fills) == 5 and all(r["Symbol"] for r in fills)  # named via the intent
        assert all("comm. 1.00 USD" in r["Details"] for r in fills)
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_a_rejected_order_shows_its_reason(ibkr_session, emulator):
    app = ibkr_app(ibkr_session, emulator.port)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: app.plan is not None)
        first = app.plan.orders[0].symbol
        emulator.scenario.behaviour_by_symbol[first] = OrderBehaviour.reject("no permission")
        await pilot.press("p", "enter", "y")
        rejected = next(r for r in await results(pilot) if r["Symbol"] == first)
        assert rejected["Status"] == "rejected" and "no permission" in rejected["Message"]
        assert "4 orders filled, 1 order rejected. Rejected:" in screen_text(app)


async def test_a_partial_fill_shows_the_remainder(tmp_path, data_dir, emulator):
    path = ibkr_config(tmp_path, timeout=("fill_timeout = 60.0", "fill_timeout = 1.0"))
    app = ibkr_app(open_session(path), emulator.port)
    emulator.scenario.behaviour_by_symbol["SIZE"] = OrderBehaviour.partial(10)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: app.plan is not None)
        wanted = next(o.quantity for o in app.plan.orders if o.symbol == "SIZE")
        await pilot.press("p", "enter", "y")
        size = next(r for r in await results(pilot) if r["Symbol"] == "SIZE")
        assert size["Status"] == "partial" and size["Filled"] == f"10/{wanted:.0f}"
        assert f"{wanted - 10:.0f} not filled" in size["Message"]
        await pilot.press("escape")
        # the rest still works at TWS: the next plan blocks SIZE instead of ordering twice
        await until(pilot, lambda: app.plan is not None and "SIZE" in app.plan.blocked)
        assert "Blocked SIZE: a BUY order" in screen_text(app)


async def test_unreachable_tws_offers_the_demo_account(ibkr_session):
    app = ibkr_app(ibkr_session, 1)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ConnectFailedScreen))
        assert "No TWS / IB Gateway answers at 127.0.0.1:1." in screen_text(app)
        await pilot.press("r")  # retry: still nobody there, asked again
        await until(pilot, lambda: isinstance(app.screen, ConnectFailedScreen))
        await pilot.press("d")
        await until(pilot, lambda: app.plan is not None)
        assert app.broker.kind == "demo" and isinstance(app.screen, DashboardScreen)
        assert status_line(app).startswith("demo DEMO-RP1 | ACTIVE")


async def test_read_only_connection_refuses_clearly(tmp_path, data_dir, emulator):
    path = ibkr_config(tmp_path, ro=("read_only = false", "read_only = true"))
    app = ibkr_app(open_session(path), emulator.port)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.plan is not None)
        await pilot.press("p", "enter", "y")
        await until(pilot, lambda: isinstance(app.screen, NoticeScreen))
        text = " ".join(screen_text(app).split())
        assert "Orders not sent" in text and "connected read-only: set [broker] read_only" in text
        assert not sent(emulator)
        await pilot.press("enter")
        assert isinstance(app.screen, DashboardScreen)


async def test_live_account_needs_its_id_typed(tmp_path, data_dir, emulator):
    path = ibkr_config(tmp_path, live=("allow_live = false", "allow_live = true"))
    emulator.scenario.accounts[0].account_id = "U7654321"
    for position in emulator.scenario.positions:
        position.account = "U7654321"
    app = ibkr_app(open_session(path), emulator.port)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: app.plan is not None)
        await pilot.press("p", "enter")
        assert isinstance(app.screen, ConfirmScreen) and app.screen.typed_account
        assert "LIVE account U7654321" in screen_text(app)
        await pilot.press("y")  # not a confirmation for a live account
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("backspace", *"U0000000", "enter")
        await until(pilot, lambda: isinstance(app.screen, NoticeScreen))
        assert "type its id to confirm" in screen_text(app)
        assert not sent(emulator), "wrong id: nothing sent"
        await pilot.press("escape")
        await until(pilot, lambda: not app.executing and app.plan is not None)
        await pilot.press("p", "enter", *"U7654321", "enter")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen), timeout=15)
        assert sent(emulator) and {p.account for p in sent(emulator)} == {"U7654321"}


async def test_dropped_connection_reconnects_without_freezing(ibkr_session, emulator):
    app = ibkr_app(ibkr_session, emulator.port)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: app.plan is not None)
        emulator.drop_connections()  # the listener stays: supervise() reconnects at once
        await until(pilot, lambda: "Connection lost" in notes(app))
        await until(pilot, lambda: "Reconnected" in notes(app))
        assert status_line(app).startswith("connected to DU1234567")
        await emulator.stop()  # now nobody answers: back-off and retry
        await until(pilot, lambda: "retrying in" in status_line(app))
        assert "disconnected from TWS at 127.0.0.1" in status_line(app)
        assert app.dashboard.query_one("#status").has_class("-warning")
        await pilot.press("question_mark")  # the UI still answers keys
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await emulator.start()
        await until(pilot, lambda: app.connection.startswith("connected"), timeout=15)
        await until(pilot, lambda: status_line(app).startswith("connected to DU1234567"))


async def test_kill_switch_halts_execution(ibkr_session, emulator):
    app = ibkr_app(ibkr_session, emulator.port)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: app.plan is not None)
        await pilot.press("k")
        assert isinstance(app.screen, TradingStateScreen)
        await pilot.press("h")
        assert "| HALTED |" in status_line(app)
        assert "Trading state HALTED" in notes(app)
        await pilot.press("p", "enter", "y")
        await until(pilot, lambda: isinstance(app.screen, NoticeScreen))
        assert "trading state is HALTED: nothing was sent" in screen_text(app)
        assert not sent(emulator)
        await pilot.press("escape", "k", "a")
        assert "| ACTIVE |" in status_line(app)


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
