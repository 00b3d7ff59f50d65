"""Text snapshots of the main screens at 80x24 and 120x40 (what the terminal shows).

A snapshot that differs fails with a diff; ``RP_TUI_UPDATE_SNAPSHOTS=1`` rewrites them after
an intended change (review the diff before committing).
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest
from rich.cells import cell_len

from rp_tui.ui.backtest_screen import BacktestScreen
from rp_tui.ui.risk_screen import RiskScreen
from tests.ui.conftest import make_app, screen_text, settle

SNAPSHOTS = Path(__file__).parent / "snapshots"
SCREENS = {
    "dashboard": (),
    "preview": ("p",),
    "confirm": ("p", "enter"),
    "editor": ("e",),
    "help": ("question_mark",),
    "risk": ("v",),
    "backtest-stats": ("b", "s"),
}


async def show(pilot, keys: tuple[str, ...]) -> None:
    await settle(pilot)
    for key in keys:
        await pilot.press(key)
        await settle(pilot)
        screen = pilot.app.screen
        if isinstance(screen, RiskScreen):
            while screen.query_one("#risk-assets").row_count == 0:
                await pilot.pause(0.02)
        if isinstance(screen, BacktestScreen):
            while screen.report is None:
                await pilot.pause(0.02)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("name", list(SCREENS))
async def test_screen_matches_its_snapshot(session, name, size):
    app = make_app(session)
    async with app.run_test(size=size) as pilot:
        await show(pilot, SCREENS[name])
        text = screen_text(app)
    path = SNAPSHOTS / f"{name}-{size[0]}x{size[1]}.txt"
    if os.environ.get("RP_TUI_UPDATE_SNAPSHOTS") or not path.exists():
        path.write_text(text, encoding="utf-8")
        if not os.environ.get("RP_TUI_UPDATE_SNAPSHOTS"):
            pytest.fail(f"new snapshot written to {path}: review it and run again")
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = "\n".join(
            difflib.unified_diff(
                expected.splitlines(), text.splitlines(), "snapshot", "now", lineterm=""
            )
        )
        pytest.fail(f"{name} at {size} differs from {path.name}:\n{diff}")
    assert all(len(line) == cell_len(line) for line in text.splitlines()[2:-1]), (
        "a double-width glyph in the screen body"
    )
