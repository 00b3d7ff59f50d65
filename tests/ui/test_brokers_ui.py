"""The app on Alpaca (the real alpaca-py SDK against the fake Alpaca on loopback): the status
line names broker, account, PAPER / LIVE and READ-ONLY before any key is pressed, the
confirmation says when a run will be refused and asks a live account for its id, and a lost
connection is told in Alpaca's words."""

from __future__ import annotations

import pytest

from rp_tui.services.session import make_broker, open_session
from rp_tui.ui.app import RpTuiApp
from rp_tui.ui.confirm import ConfirmScreen
from rp_tui.ui.dashboard import DashboardScreen
from rp_tui.ui.notice import NoticeScreen
from rp_tui.ui.preview import PreviewScreen
from tests.broker.alpaca.conftest import SYMBOLS, portfolio_text
from tests.broker.alpaca.fake_alpaca import ACCOUNT, KEY, SECRET, FakeAlpaca
from tests.ui.conftest import SIZE, THEMES, named_rows, press, screen_text, shows, until


@pytest.fixture
def fake(monkeypatch, data_dir):
    """The fake Alpaca: SPY and TLT held, XOM held outside the portfolio, 20,000 USD."""
    monkeypatch.setenv("APCA_API_KEY_ID", KEY)
    monkeypatch.setenv("APCA_API_SECRET_KEY", SECRET)
    server = FakeAlpaca()
    for symbol, price in SYMBOLS.items():
        server.listing(symbol, price)
    server.listing("XOM", 110.0)
    server.hold("SPY", 100, 450.0)
    server.hold("TLT", 50, 100.0)
    server.hold("XOM", 10, 100.0)
    server.cash = 20_000.0
    server.start()
    yield server
    server.stop()


def alpaca_app(tmp_path, fake, *changes: tuple[str, str], extra_broker: str = "") -> RpTuiApp:
    text = portfolio_text(fake.url, extra_broker)
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "portfolio.toml"
    path.write_text(text, encoding="utf-8")
    session = open_session(path)
    broker = make_broker(session)

    async def no_wait(_seconds: float) -> None:  # retries go at once (the waits are Alpaca's)
        return None

    broker.link.sleep = no_wait
    broker.poll_interval = 0.01
    return RpTuiApp(session, broker, theme_dirs=[THEMES])


async def loaded(pilot) -> None:
    app = pilot.app
    await until(pilot, lambda: app.plan is not None and "NAV" in screen_text(app), what="the plan")


def status_line(app) -> str:
    return screen_text(app).splitlines()[1].strip()


def notes(app) -> str:
    return "\n".join(f"{n.title}: {n.message}" for n in app._notifications)


async def test_read_only_is_said_before_y_and_the_run_is_refused(tmp_path, fake):
    app = alpaca_app(tmp_path, fake, ("read_only = false", "read_only = true"))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        assert status_line(app).startswith(f"Alpaca {ACCOUNT} PAPER READ-ONLY | ACTIVE")
        await shows(pilot, "READ-ONLY: [broker] read_only = true, no order can be sent")
        symbols = [r["symbol"] for r in named_rows(app.dashboard.query_one("#positions"))]
        assert symbols == ["SPY", "TLT", "GLD", "XOM*"]  # XOM: held, not in portfolio.toml
        await shows(pilot, "* not in portfolio.toml: XOM: kept")
        await press(pilot, "p", lambda: isinstance(app.screen, PreviewScreen))
        await press(pilot, "enter", lambda: isinstance(app.screen, ConfirmScreen))
        await shows(
            pilot,
            f"Account: Alpaca {ACCOUNT} PAPER READ-ONLY",
            "READ-ONLY: this run will be refused and nothing sent",
        )
        await press(pilot, "y", lambda: isinstance(app.screen, NoticeScreen))
        await shows(pilot, "Orders not sent", "connected read-only")
        assert fake.posts == 0


async def test_a_live_alpaca_account_asks_for_its_id(tmp_path, fake):
    app = alpaca_app(tmp_path, fake, extra_broker="alpaca_paper = false\nallow_live = true\n")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        assert status_line(app).startswith(f"Alpaca {ACCOUNT} LIVE | ACTIVE")
        assert app.dashboard.query_one("#status").has_class("-warning")
        await press(pilot, "p", lambda: isinstance(app.screen, PreviewScreen))
        await press(pilot, "enter", lambda: isinstance(app.screen, ConfirmScreen))
        assert app.screen.typed_account
        await shows(pilot, f"Account: Alpaca {ACCOUNT} LIVE (real money)")
        await until(pilot, lambda: app.screen.query_one("#confirm-account").has_focus)
        await press(pilot, "escape", lambda: isinstance(app.screen, PreviewScreen))
        assert fake.posts == 0


async def test_a_lost_connection_is_told_in_alpacas_words(tmp_path, fake):
    app = alpaca_app(tmp_path, fake)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await loaded(pilot)
        fake.fault("GET /v2/account", "drop-before")  # the next account read gets no answer
        await pilot.press("r")
        await until(pilot, lambda: "Reconnected" in notes(app), what="the reconnection")
        told = notes(app)
        assert f"Connection lost: Alpaca at {fake.url}" in told and "not answering" in told
        assert "TWS" not in told
        assert f"Reconnected: Connected to Alpaca at {fake.url}" in told
        await until(pilot, lambda: app.plan is not None and isinstance(app.screen, DashboardScreen))
