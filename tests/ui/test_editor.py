"""The targets editor: edits, validation as you type, undo, comment-preserving saves,
the quit prompt and a file changed on disk."""

from __future__ import annotations

import difflib
import shutil

from rp_tui.services.session import open_session
from rp_tui.ui.choice import ChoiceScreen
from rp_tui.ui.editor import EditCellScreen, EditorScreen
from tests.ui.conftest import PORTFOLIO, SIZE, make_app, rows, screen_text, settle


def copy_session(tmp_path):
    path = tmp_path / "portfolio.toml"
    shutil.copy(PORTFOLIO, path)
    return path, open_session(path)


async def open_editor(pilot):
    await settle(pilot)
    await pilot.press("e")
    await pilot.pause()
    assert isinstance(pilot.app.screen, EditorScreen)
    return pilot.app.screen


async def edit_cell(pilot, text: str) -> EditCellScreen:
    await pilot.press("enter")
    dialog = pilot.app.screen
    assert isinstance(dialog, EditCellScreen)
    await pilot.press("ctrl+a", "ctrl+k", *text)  # replace the value
    await pilot.pause()
    return dialog


async def test_edit_a_max_weight_recompute_and_save_keeping_comments(tmp_path, data_dir):
    path, session = copy_session(tmp_path)
    original = path.read_text()
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot)
        await pilot.press("down", "down", "down")  # USMV
        for _ in range(7):
            await pilot.press("right")  # the Max column
        dialog = await edit_cell(pilot, "0.2")
        assert "ok" in str(dialog.query_one("#edit-reason").render())
        await pilot.press("enter")
        await settle(pilot)
        assert rows(editor.query_one("#editor-assets"))[3][7] == "0.2"
        assert "modified" in screen_text(app)
        assert app.plan.positions[3].target <= 0.2 + 1e-9  # targets recomputed
        await pilot.press("ctrl+s")
        await pilot.pause()
    saved = path.read_text()
    changes = [d for d in difflib.ndiff(original.splitlines(), saved.splitlines()) if d[:1] in "+-"]
    assert changes == ["+ max = 0.2"]  # every comment and line kept byte for byte


async def test_invalid_input_shows_the_reason_and_changes_nothing(tmp_path, data_dir):
    _, session = copy_session(tmp_path)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot)
        for _ in range(5):
            await pilot.press("right")  # Budget
        dialog = await edit_cell(pilot, "-1")
        assert "risk budget must be > 0" in str(dialog.query_one("#edit-reason").render())
        await pilot.press("enter")  # refused: the dialog stays
        assert app.screen is dialog
        await pilot.press("escape")
        assert rows(editor.query_one("#editor-assets"))[0][5] == ""
        await pilot.press("tab")  # the rules table: method is its first row
        dialog = await edit_cell(pilot, "magic")
        assert "strategy.method" in str(dialog.query_one("#edit-reason").render())
        await pilot.press("escape")
        assert not app.portfolio_file.dirty


async def test_undo_add_unknown_symbol_and_the_quit_prompt(tmp_path, data_dir):
    path, session = copy_session(tmp_path)
    app = make_app(session)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        editor = await open_editor(pilot)
        await pilot.press("tab")
        await pilot.press("down")  # lookback
        await edit_cell(pilot, "126")
        await pilot.press("enter")
        await settle(pilot)
        assert app.session.portfolio.strategy.lookback == 126
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert app.session.portfolio.strategy.lookback == 252 and not app.portfolio_file.dirty
        await pilot.press("a", *"SPY", "enter")  # not in the bundled price history
        await settle(pilot)
        assert len(rows(editor.query_one("#editor-assets"))) == 5
        assert any("SPY is not in the price history" in str(n.message)
                   for n in app._notifications)  # fmt: skip
        await pilot.press("x")  # remove MTUM
        await settle(pilot)
        assert app.session.portfolio.symbols[0] == "QUAL" and app.plan is not None
        await pilot.press("escape", "q")
        assert isinstance(app.screen, ChoiceScreen)  # unsaved: asked, not lost
        await pilot.press("d")  # discard and quit
    assert path.read_text() == PORTFOLIO.read_text()


async def test_a_file_changed_on_disk_is_offered_for_reload(tmp_path, data_dir):
    path, session = copy_session(tmp_path)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        path.write_text(path.read_text().replace("lookback = 252", "lookback = 189"))
        app.portfolio_dialogue.watch_file()
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("r")
        await settle(pilot)
        assert app.session.portfolio.strategy.lookback == 189
        assert app.plan.lookback == 189
