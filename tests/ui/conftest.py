"""Fixtures and helpers for the UI tests: a fresh demo account per test, real services."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable

from rp_tui.services.session import Session, make_broker, open_session
from rp_tui.ui.app import RpTuiApp

REPO = Path(__file__).resolve().parents[2]
PORTFOLIO = REPO / "portfolio.toml"
THEMES = REPO / "themes"
SIZE = (80, 24)


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
    """The app over a new demo broker; themes from the repo only (not the user's)."""
    return RpTuiApp(session, make_broker(session), theme_dirs=theme_dirs or [THEMES])


async def settle(pilot: Pilot) -> None:
    """Wait until every worker (plan, execute, backtest) is done and the screen redrawn."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


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


async def toasts(pilot: Pilot) -> list[str]:
    """Plain text of the notifications shown on the current screen (toasts mount late)."""
    for _ in range(3):
        await pilot.pause()
    return [str(toast.render()) for toast in pilot.app.screen.query("Toast")]


def rows(table: DataTable) -> list[list[str]]:
    """The table's cells as plain strings, row by row."""
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def named_rows(table: DataTable) -> list[dict[str, str]]:
    """The table's cells as plain strings keyed by column key, row by row."""
    keys = [str(column.key.value) for column in table.ordered_columns]
    return [dict(zip(keys, row, strict=True)) for row in rows(table)]
