"""The help screen's keys, the command palette's entries, and the Ctrl+C note."""

from __future__ import annotations

from rp_tui.broker.demo import state_path
from rp_tui.ui.choice import ChoiceScreen
from rp_tui.ui.dashboard import DashboardScreen
from rp_tui.ui.editor import EditorScreen
from rp_tui.ui.help_screen import HelpScreen
from rp_tui.ui.preview import PreviewScreen
from rp_tui.ui.results import ResultsScreen
from tests.ui.conftest import SIZE, make_app, named_rows, press, settle, shows, toast, until


async def test_help_lists_the_editor_keys(session):
    app = make_app(session)
    async with app.run_test(size=(80, 60)) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark", lambda: isinstance(app.screen, HelpScreen))
        text = await shows(pilot, "Editor", "Ctrl+S  Save", "Ctrl+Z  Undo")
        editor = text[text.index("Editor") :]
        for line in ("Enter   Edit", "Tab     Assets / rules", "a       Add", "x       Remove",
                     "Esc     Back", "Enter   Accept", "Esc     Cancel"):  # fmt: skip
            assert line in editor, line


def titles(app) -> list[str]:
    return [command.title for command in app.get_system_commands(app.screen)]


async def test_palette_names_are_unique_and_cover_edit_and_drift(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        names = titles(app)
        assert len(names) == len(set(names)), names
        assert {"Keys", "Key panel", "Edit", "Drift: weight / risk"} <= set(names)
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        commands["Drift: weight / risk"].callback()
        await until(pilot, lambda: app.dashboard.risk_drift)
        await shows(pilot, "RC drift")
        commands["Edit"].callback()
        await until(pilot, lambda: isinstance(app.screen, EditorScreen))


async def palette(pilot, command: str) -> None:
    """Run ``command`` through Ctrl+P: type its name, then Enter."""
    app = pilot.app
    await press(pilot, "ctrl+p", lambda: app.screen.__class__.__name__ == "CommandPalette")
    for char in command:
        await pilot.press(char)
    await shows(pilot, command)
    await press(pilot, "enter", lambda: app.screen.__class__.__name__ != "CommandPalette")


def quantities(app) -> dict[str, str]:
    return {r["symbol"]: r["quantity"] for r in named_rows(app.dashboard.query_one("#positions"))}


async def test_reset_the_demo_account_asks_first(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        seeded = quantities(app)
        await press(pilot, "p", lambda: isinstance(app.screen, PreviewScreen))
        await pilot.press("enter")
        await press(pilot, "y", lambda: isinstance(app.screen, ResultsScreen))
        await press(pilot, "escape", lambda: isinstance(app.screen, DashboardScreen))
        await until(pilot, lambda: app.plan is not None and quantities(app) != seeded)
        traded = state_path().read_bytes()

        await palette(pilot, "Reset the demo account")
        assert isinstance(app.screen, ChoiceScreen)
        await shows(pilot, "Reset the demo account?", "y: reset", "n: keep it")
        await press(pilot, "n", lambda: isinstance(app.screen, DashboardScreen))
        assert state_path().read_bytes() == traded  # kept

        await palette(pilot, "Reset the demo account")
        await press(pilot, "y", lambda: isinstance(app.screen, DashboardScreen))
        await until(pilot, lambda: app.plan is not None and quantities(app) == seeded)
        assert state_path().read_bytes() != traded


async def test_ctrl_c_says_how_to_quit_in_plain_words(session):
    app = make_app(session)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+c")
        shown = await toast(pilot, "to quit the app")
        note = next(t for t in shown if "to quit the app" in t)
        assert "[b]" not in note and "Press ctrl+q to quit the app" in note, note
        assert app.is_running
