"""The TUI on the IBKR broker: the real ib_async client against the loopback TWS emulator,
in the Pilot's own event loop."""

from __future__ import annotations

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
    press,
    rows,
    screen_text,
    shows,
    until,
)

HELD = {"MTUM": "60", "QUAL": "75", "SIZE": "40", "USMV": "150", "VLUE": "90"}


async def results(pilot) -> list[dict[str, str]]:
    """The results table once it is on screen (it fills on mount)."""
    app = pilot.app
    await until(
        pilot,
        lambda: (
            isinstance(app.screen, ResultsScreen) and app.screen.query_one("#results").row_count > 0
        ),
        what="the results",
    )
    return named_rows(app.screen.query_one("#results"))


async def confirm(pilot, live: bool = False) -> None:
    """From the dashboard: open the preview, then the confirmation."""
    app = pilot.app
    await press(pilot, "p", lambda: isinstance(app.screen, PreviewScreen))
    await press(
        pilot,
        "enter",
        lambda: (
            isinstance(app.screen, ConfirmScreen)
            and app.screen.typed_account == live
            and bool(app.screen.query("#confirm-keys"))
        ),
    )


async def loaded(pilot) -> None:
    """Wait until the dashboard shows a plan."""
    app = pilot.app
    await until(pilot, lambda: app.plan is not None and "NAV" in screen_text(app), what="the plan")


async def type_in(pilot, box, text: str) -> None:
    """Type ``text`` at the end of ``box`` (an Input) and wait until it shows there."""
    start = box.value
    for char in text:
        await pilot.press(char)
    await until(pilot, lambda: box.value == start + text, what=f"{text!r} typed")


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
        await loaded(pilot)
        await until(pilot, lambda: "Blocked VLUE" in screen_text(app))
        assert quantities(app) == HELD
        status = status_line(app)
        assert status.startswith("IBKR DU1234567 PAPER | ACTIVE | as of")
        kinds = {symbol: r["data"] for symbol, r in positions(app).items()}
        assert kinds == {"MTUM": "delay", "QUAL": "live", "SIZE": "live", "USMV": "live",
                         "VLUE": "mark"}  # fmt: skip
        text = screen_text(app)
        assert "Blocked VLUE: only yesterday's close arrived" in text
        assert "Data" in text.splitlines()[3]  # the column is on screen at 80 columns
        await press(pilot, "p", lambda: isinstance(app.screen, PreviewScreen))
        table = app.screen.query_one("#orders")
        await until(
            pilot, lambda: table.row_count and all(r["tws"] != "..." for r in named_rows(table))
        )
        tws = {r["symbol"]: r["tws"] for r in named_rows(table)}
        assert tws["SIZE"] == "1.37" and tws["QUAL"] == "unknown" and tws["MTUM"] == "1.00"
        assert "VLUE" not in tws  # blocked: no order ...
        await shows(pilot, "Blocked VLUE")  # ... and the preview says why
        await press(pilot, "escape", lambda: isinstance(app.screen, DashboardScreen))
    assert not app.broker.ib.isConnected()  # closed when the app ended


async def test_confirm_executes_shows_results_and_logs(ibkr_session, emulator):
    app = ibkr_app(ibkr_session, emulator.port)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await loaded(pilot)
        orders = {o.symbol: o for o in app.plan.orders}
        assert set(orders) == set(HELD)  # 25,000 USD cash: every asset is bought
        await confirm(pilot)
        await pilot.press("y")
        shown = await results(pilot)
        assert {p.symbol for p in sent(emulator)} == set(orders)
        assert all(p.order_ref.startswith("rp-tui:") for p in sent(emulator))
        assert {r["Status"] for r in shown} == {"filled"}
        assert all(r["Comm."] == "1.00 USD" for r in shown)
        size = next(r for r in shown if r["Symbol"] == "SIZE")
        assert size["Filled"] == f"{orders['SIZE'].quantity:.0f}/{orders['SIZE'].quantity:.0f}"
        await shows(pilot, "5 orders filled")
        await press(pilot, "escape", lambda: isinstance(app.screen, DashboardScreen))
        await until(pilot, lambda: not app.executing and quantities(app)["SIZE"] != "40")
        assert quantities(app)["SIZE"] == str(int(40 + orders["SIZE"].quantity))
        events = {r["event"] for r in TradeLog().read()}
        assert {"intent", "submitted", "fill", "result"} <= events
        await press(
            pilot,
            "l",
            lambda: isinstance(app.screen, LogScreen) and app.screen.query_one("#log").row_count,
        )
        logged = named_rows(app.screen.query_one("#log"))
        assert logged[0]["Event"] == "result"  # newest first
        assert any(r["Event"] == "intent" and r["Symbol"] == "SIZE" for r in logged)
        fills = [r for r in logged if r["Event"] == "fill"]
        assert len(fills) == 5 and all(r["Symbol"] for r in fills)  # named via the intent
        assert all("comm. 1.00 USD" in r["Details"] for r in fills)
        await press(pilot, "escape", lambda: isinstance(app.screen, DashboardScreen))


async def test_a_rejected_order_shows_its_reason(ibkr_session, emulator):
    app = ibkr_app(ibkr_session, emulator.port)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await loaded(pilot)
        first = app.plan.orders[0].symbol
        emulator.scenario.behaviour_by_symbol[first] = OrderBehaviour.reject("no permission")
        await confirm(pilot)
        await pilot.press("y")
        rejected = next(r for r in await results(pilot) if r["Symbol"] == first)
        assert rejected["Status"] == "rejected" and "no permission" in rejected["Message"]
        await shows(pilot, "4 orders filled, 1 order rejected. Rejected:")


async def test_a_partial_fill_shows_the_remainder(tmp_path, data_dir, emulator):
    path = ibkr_config(
        tmp_path,
        timeout=("fill_timeout = 60.0", "fill_timeout = 1.0"),
        unfilled=('unfilled = "cancel"', 'unfilled = "keep"'),  # the rest keeps working
    )
    app = ibkr_app(open_session(path), emulator.port)
    emulator.scenario.behaviour_by_symbol["SIZE"] = OrderBehaviour.partial(10)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await loaded(pilot)
        wanted = next(o.quantity for o in app.plan.orders if o.symbol == "SIZE")
        await confirm(pilot)
        await pilot.press("y")
        size = next(r for r in await results(pilot) if r["Symbol"] == "SIZE")
        assert size["Status"] == "partial" and size["Filled"] == f"10/{wanted:.0f}"
        assert f"{wanted - 10:.0f} not filled" in size["Message"]
        await press(pilot, "escape", lambda: isinstance(app.screen, DashboardScreen))
        # the rest still works at TWS: the next plan blocks SIZE instead of ordering twice
        await until(pilot, lambda: app.plan is not None and "SIZE" in app.plan.blocked)
        await shows(pilot, "Blocked SIZE: a BUY order")


async def test_unreachable_tws_offers_the_demo_account(ibkr_session):
    app = ibkr_app(ibkr_session, 1)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ConnectFailedScreen))
        asked = app.screen
        await shows(pilot, "No TWS / IB Gateway answers at 127.0.0.1:1.")
        # retry: still nobody there, asked again (a new question)
        await press(pilot, "r", lambda: app.screen is not asked)
        await until(pilot, lambda: isinstance(app.screen, ConnectFailedScreen))
        await shows(pilot, "No TWS / IB Gateway answers at 127.0.0.1:1.")
        await press(pilot, "d", lambda: app.broker.kind == "demo")
        await loaded(pilot)
        assert isinstance(app.screen, DashboardScreen)
        await until(pilot, lambda: status_line(app).startswith("demo DEMO-RP1 PAPER | ACTIVE"))


async def test_read_only_connection_refuses_clearly(tmp_path, data_dir, emulator):
    path = ibkr_config(tmp_path, ro=("read_only = false", "read_only = true"))
    app = ibkr_app(open_session(path), emulator.port)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        # said before y is ever pressed: on the status line, below the table, in the modal
        assert status_line(app).startswith("IBKR DU1234567 PAPER READ-ONLY | ACTIVE")
        await shows(pilot, "READ-ONLY: [broker] read_only = true, no order can be sent")
        await confirm(pilot)
        await shows(pilot, "READ-ONLY: this run will be refused and nothing sent")
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, NoticeScreen))
        await shows(pilot, "Orders not sent", "connected read-only: set [broker] read_only")
        assert not sent(emulator)
        await press(pilot, "enter", lambda: isinstance(app.screen, DashboardScreen))


async def test_live_account_needs_its_id_typed(tmp_path, data_dir, emulator):
    path = ibkr_config(tmp_path, live=("allow_live = false", "allow_live = true"))
    emulator.scenario.accounts[0].account_id = "U7654321"
    for position in emulator.scenario.positions:
        position.account = "U7654321"
    app = ibkr_app(open_session(path), emulator.port)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await loaded(pilot)
        await confirm(pilot, live=True)
        dialog = app.screen
        await shows(pilot, "LIVE account U7654321")
        box = dialog.query_one("#confirm-account")
        await until(pilot, lambda: box.has_focus)
        await type_in(pilot, box, "y")  # not a confirmation for a live account: just typed
        assert app.screen is dialog
        await pilot.press("backspace")
        await type_in(pilot, box, "U0000000")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, NoticeScreen))
        await shows(pilot, "type its id to confirm")
        assert not sent(emulator), "wrong id: nothing sent"
        await press(pilot, "escape", lambda: isinstance(app.screen, DashboardScreen))
        await until(pilot, lambda: not app.executing and app.plan is not None)
        await confirm(pilot, live=True)
        box = app.screen.query_one("#confirm-account")
        await until(pilot, lambda: box.has_focus)
        await type_in(pilot, box, "U7654321")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        assert sent(emulator) and {p.account for p in sent(emulator)} == {"U7654321"}


async def test_dropped_connection_reconnects_without_freezing(ibkr_session, emulator):
    app = ibkr_app(ibkr_session, emulator.port)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await loaded(pilot)
        emulator.drop_connections()  # the listener stays: supervise() reconnects at once
        await until(pilot, lambda: "Connection lost" in notes(app))
        await until(pilot, lambda: "Reconnected" in notes(app))
        await until(pilot, lambda: status_line(app).startswith("IBKR DU1234567 PAPER | ACTIVE"))
        await emulator.stop()  # now nobody answers: back-off and retry
        await until(pilot, lambda: "retrying in" in status_line(app))
        assert "disconnected from TWS at 127.0.0.1" in status_line(app)
        assert app.dashboard.query_one("#status").has_class("-warning")
        # the UI still answers keys
        await press(pilot, "question_mark", lambda: isinstance(app.screen, HelpScreen))
        await press(pilot, "escape", lambda: isinstance(app.screen, DashboardScreen))
        await emulator.start()
        await until(pilot, lambda: app.connection.startswith("connected"))
        await until(pilot, lambda: status_line(app).startswith("IBKR DU1234567 PAPER | ACTIVE"))


async def test_kill_switch_halts_execution(ibkr_session, emulator):
    app = ibkr_app(ibkr_session, emulator.port)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await loaded(pilot)
        await press(pilot, "k", lambda: isinstance(app.screen, TradingStateScreen))
        await press(pilot, "h", lambda: "| HALTED |" in status_line(app))
        assert "Trading state HALTED" in notes(app)
        await confirm(pilot)
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, NoticeScreen))
        await shows(pilot, "trading state is HALTED: nothing was sent")
        assert not sent(emulator)
        await press(pilot, "escape", lambda: isinstance(app.screen, DashboardScreen))
        await press(pilot, "k", lambda: isinstance(app.screen, TradingStateScreen))
        await press(pilot, "a", lambda: "| ACTIVE |" in status_line(app))


async def test_risk_screen_on_the_demo_account(session):
    from tests.ui.conftest import make_app

    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await press(pilot, "v", lambda: isinstance(app.screen, RiskScreen))
        table = app.screen.query_one("#risk-assets")
        await until(pilot, lambda: table.row_count == 5)
        assert {r[5] for r in rows(table)} == {"20.00%"}  # ERC targets: equal contributions
        assert app.screen.query_one("#risk-var").row_count == 12
        assert app.screen.query_one("#risk-corr").row_count == 5
        await press(pilot, "escape", lambda: isinstance(app.screen, DashboardScreen))
        await press(pilot, "d", lambda: app.dashboard.risk_drift)
        await shows(pilot, "RC drift")


async def test_risk_screen_says_so_when_its_monte_carlo_process_is_lost(session, monkeypatch):
    from rp_tui.services import risk_report as service
    from rp_tui.services.child_process import ChildProcessLost
    from tests.ui.conftest import make_app

    async def lost(*_args):
        raise ChildProcessLost("the computation's process ended without a result (exit code -9)")

    monkeypatch.setattr(service, "_var_in_child", lost)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await press(pilot, "v", lambda: isinstance(app.screen, RiskScreen))
        await shows(pilot, "No risk report: the computation's process ended")
        await press(pilot, "escape", lambda: isinstance(app.screen, DashboardScreen))


async def test_a_risk_report_arriving_after_the_screen_closed_is_dropped(session, monkeypatch):
    """The key fuzzer, under load: escape while the report was computed, and the report came
    back to a screen whose widgets were gone (``NoMatches`` crashed the app)."""
    import asyncio
    import contextlib

    from rp_tui.services import risk_report as service
    from tests.ui.conftest import make_app, until

    real, release = service._var_in_child, asyncio.Event()

    async def arrives_late(*args):
        # the screen is closed meanwhile; a cancel is ignored, as when the result was
        # already on its way back: the worker goes on
        with contextlib.suppress(asyncio.CancelledError):
            await release.wait()
        return await real(*args)

    monkeypatch.setattr(service, "_var_in_child", arrives_late)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await press(pilot, "v", lambda: isinstance(app.screen, RiskScreen))
        await press(pilot, "escape", lambda: isinstance(app.screen, DashboardScreen))
        release.set()
        await until(
            pilot,
            lambda: not any(w.group == "risk" and w.is_running for w in app.workers),
            what="the risk worker's end",
        )
    # run_test raises here what crashed the app (a failed worker)


async def test_a_what_if_estimate_arriving_after_the_preview_closed_is_dropped(
    session, monkeypatch
):
    """Escape while TWS computed its what-if commissions: the estimates came back to a
    preview whose table was gone (``NoMatches``: the worker failed, logged only)."""
    import asyncio
    import contextlib

    from textual.worker import WorkerState

    from rp_tui.ui.preview import PreviewScreen
    from tests.ui.conftest import make_app, until

    release = asyncio.Event()

    async def arrives_late(requests):
        # a cancel is ignored, as when TWS's answer was already on its way back
        with contextlib.suppress(asyncio.CancelledError):
            await release.wait()
        return {}

    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        monkeypatch.setattr(app.broker, "what_if", arrives_late, raising=False)
        await press(pilot, "p", lambda: isinstance(app.screen, PreviewScreen))
        await until(pilot, lambda: any(w.group == "what-if" for w in app.workers))
        worker = next(w for w in app.workers if w.group == "what-if")
        await press(pilot, "escape", lambda: isinstance(app.screen, DashboardScreen))
        release.set()
        await until(pilot, lambda: worker.is_finished, what="the what-if worker's end")
        assert worker.state == WorkerState.SUCCESS, worker.error
