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
from rp_tui.ui.confirm import ConfirmScreen
from rp_tui.ui.editor import EditorScreen
from rp_tui.ui.help_screen import HelpScreen
from rp_tui.ui.preview import PreviewScreen
from rp_tui.ui.risk_screen import RiskScreen
from tests.ui.conftest import make_app, press, screen_text, settle, until

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
# What each key opens: the next key waits for it.
OPENS = {
    "p": lambda s: isinstance(s, PreviewScreen),
    "enter": lambda s: isinstance(s, ConfirmScreen),
    "e": lambda s: isinstance(s, EditorScreen),
    "question_mark": lambda s: isinstance(s, HelpScreen),
    "v": lambda s: isinstance(s, RiskScreen) and s.query_one("#risk-assets").row_count > 0,
    "b": lambda s: isinstance(s, BacktestScreen) and s.report is not None,
    "s": lambda s: s.query_one("#bt-tabs").active == "stats",
}
SNAPSHOT_WAIT = 30.0  # seconds for the screen to match its snapshot before the diff fails


async def show(pilot, keys: tuple[str, ...]) -> None:
    """Press ``keys``, each once the screen the previous one opened is there, then wait
    for the workers (the preview's estimates, the risk report) to finish."""
    await settle(pilot)
    for key in keys:
        await press(pilot, key, lambda key=key: OPENS[key](pilot.app.screen))
    await settle(pilot)


def diff(expected: str, text: str) -> str:
    """A unified diff, snapshot against the screen."""
    return "\n".join(
        difflib.unified_diff(
            expected.splitlines(), text.splitlines(), "snapshot", "now", lineterm=""
        )
    )


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("name", list(SCREENS))
async def test_screen_matches_its_snapshot(session, name, size):
    path = SNAPSHOTS / f"{name}-{size[0]}x{size[1]}.txt"
    update = os.environ.get("RP_TUI_UPDATE_SNAPSHOTS") or not path.exists()
    expected = "" if update else path.read_text(encoding="utf-8")
    app = make_app(session)
    async with app.run_test(size=size) as pilot:
        await show(pilot, SCREENS[name])
        if update:  # the same screen twice in a row: drawn and settled
            previous = None
            while (text := screen_text(app)) != previous:
                previous = text
                await until(pilot, lambda: True)
        else:
            try:
                await until(pilot, lambda: screen_text(app) == expected, SNAPSHOT_WAIT)
            except AssertionError:
                text = screen_text(app)
                pytest.fail(f"{name} at {size} differs from {path.name}:\n{diff(expected, text)}")
            text = screen_text(app)
    if update:
        path.write_text(text, encoding="utf-8")
        if not os.environ.get("RP_TUI_UPDATE_SNAPSHOTS"):
            pytest.fail(f"new snapshot written to {path}: review it and run again")
    assert all(len(line) == cell_len(line) for line in text.splitlines()[2:-1]), (
        "a double-width glyph in the screen body"
    )
