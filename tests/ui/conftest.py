"""Fixtures and helpers for the UI tests: a fresh demo account per test, real services.

Tests wait for what they check, never for a time: :func:`until` lets the app run
(``pilot.pause()``) until a condition on the screen holds, failing only after :data:`WAIT`
seconds, so a loaded machine makes a test slower, not red.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable

from rp_tui.services.session import Session, make_broker, open_session
from rp_tui.ui.app import RpTuiApp

REPO = Path(__file__).resolve().parents[2]
PORTFOLIO = REPO / "rp_tui" / "examples" / "factor-etfs.toml"  # as tests/conftest.py
THEMES = REPO / "themes"
SIZE = (80, 24)
WAIT = 90.0  # seconds: reached only by a test that fails anyway
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # the schedule's "now" in every UI test


@pytest.fixture(autouse=True)
def local_time_utc():
    """This machine's time zone is UTC during UI tests (the dashboard shows local times)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty ``$RP_TUI_DATA_DIR``: the demo broker seeds its account there."""
    path = tmp_path / "data"
    monkeypatch.setenv("RP_TUI_DATA_DIR", str(path))
    return path


@pytest.fixture
def session(data_dir: Path) -> Session:
    """The shipped portfolio over the bundled prices."""
    return open_session(PORTFOLIO)


def portfolio_copy(tmp_path: Path, old: str, new: str) -> Path:
    """The shipped ``portfolio.toml`` with ``old`` replaced by ``new``, written to tmp."""
    text = PORTFOLIO.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in portfolio.toml"
    path = tmp_path / "portfolio.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def make_app(session: Session, theme_dirs: list[Path] | None = None) -> RpTuiApp:
    """The app over a new demo broker; themes from the repo only (not the user's); the
    schedule computed at :data:`NOW`."""
    app = RpTuiApp(session, make_broker(session), theme_dirs=theme_dirs or [THEMES])
    app.clock = lambda: NOW
    return app


async def until(
    pilot: Pilot, condition: Callable[[], object], timeout: float = WAIT, what: str = ""
) -> None:
    """Let the app run until ``condition()`` is true; fail (showing the screen) after
    ``timeout`` seconds or when the app stops first. A condition that raises (a widget not
    mounted yet) counts as not yet true."""
    deadline = time.monotonic() + timeout
    problem: Exception | None = None
    while True:
        await pilot.pause()
        try:
            if condition():
                return
            problem = None
        except Exception as exc:
            problem = exc
        app = pilot.app
        if not app.is_running or time.monotonic() > deadline:
            why = "the app stopped" if not app.is_running else f"timed out after {timeout:g} s"
            raise AssertionError(
                f"{why} waiting for {what or 'the condition'}"
                + (f" (last: {problem!r})" if problem else "")
                + f"; the screen shows:\n{_shown(app)}"
            )


def _shown(app: App) -> str:
    try:
        return screen_text(app)
    except Exception as exc:  # the app is gone: nothing to render
        return f"(nothing: {exc!r})"


async def shows(pilot: Pilot, *texts: str, timeout: float = WAIT) -> str:
    """Wait until every one of ``texts`` is on screen (spaces and line breaks between words
    do not matter); the screen's text."""

    def found() -> bool:
        shown = screen_text(pilot.app)
        flat = " ".join(shown.split())
        return all(t in shown or " ".join(t.split()) in flat for t in texts)

    await until(pilot, found, timeout, what=" and ".join(map(repr, texts)))
    return screen_text(pilot.app)


async def press(pilot: Pilot, key: str, then: Callable[[], object], what: str = "") -> None:
    """Press ``key`` and wait until ``then()`` holds (its effect), so the next key goes to
    the screen it was meant for."""
    await pilot.press(key)
    await until(pilot, then, what=what or f"the effect of {key!r}")


async def settle(pilot: Pilot) -> None:
    """Wait until the dashboard shows the account (or why it could not be built) and every
    worker (plan, execute, backtest) is done."""
    app = pilot.app

    def landed() -> bool:
        if app.plan_error:
            return "Could not build the plan" in screen_text(app) or app.screen is not app.dashboard
        return app.plan is not None and (
            app.screen is not app.dashboard or "NAV" in screen_text(app)
        )

    await until(pilot, landed, what="the plan")
    await until(pilot, lambda: not any(w.is_running for w in app.workers), what="the workers")


def screen_text(app: App) -> str:
    """What the terminal shows right now, as plain text (the same render as a screenshot)."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    update = app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens, simplify=True
    )
    console.print(update)
    return console.export_text(styles=False)


def toast_texts(app: App) -> list[str]:
    """Plain text of the notifications shown on the current screen."""
    return [str(toast.render()) for toast in app.screen.query("Toast")]


async def toast(pilot: Pilot, text: str) -> list[str]:
    """Wait until a notification containing ``text`` is shown; every toast's text."""
    await until(
        pilot,
        lambda: any(text in t for t in toast_texts(pilot.app)),
        what=f"a notification {text!r}",
    )
    return toast_texts(pilot.app)


def rows(table: DataTable) -> list[list[str]]:
    """The table's cells as plain strings, row by row."""
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def named_rows(table: DataTable) -> list[dict[str, str]]:
    """The table's cells as plain strings keyed by column key, row by row."""
    keys = [str(column.key.value) for column in table.ordered_columns]
    return [dict(zip(keys, row, strict=True)) for row in rows(table)]


async def open_backtest(pilot: Pilot):
    """Press ``b`` on the dashboard and wait until the backtest screen has its report;
    returns the :class:`~rp_tui.ui.backtest_screen.BacktestScreen`."""
    from rp_tui.ui.backtest_screen import BacktestScreen

    app = pilot.app
    await press(pilot, "b", lambda: isinstance(app.screen, BacktestScreen))
    screen = app.screen
    await until(pilot, lambda: screen.report is not None, what="the backtest")
    return screen
