"""The targets editor: edits, validation as you type, undo, comment-preserving saves,
the quit prompt and a file changed on disk."""

from __future__ import annotations

import difflib
import shutil

from rp_tui.services.session import open_session
from rp_tui.ui.choice import ChoiceScreen
from rp_tui.ui.editor import ASSET_COLUMNS, EditCellScreen, EditorScreen
from tests.ui.conftest import (
    PORTFOLIO,
    SIZE,
    make_app,
    press,
    rows,
    settle,
    shows,
    toast,
    until,
)


def copy_session(tmp_path):
    path = tmp_path / "portfolio.toml"
    shutil.copy(PORTFOLIO, path)
    return path, open_session(path)


async def open_editor(pilot):
    await settle(pilot)
    await press(
        pilot,
        "e",
        lambda: (
            isinstance(pilot.app.screen, EditorScreen)
            and pilot.app.screen.query_one("#editor-assets").row_count > 0
        ),
    )
    return pilot.app.screen


def typed(dialog: EditCellScreen) -> str:
    return dialog.query_one("#edit-input").value


def reason(dialog: EditCellScreen) -> str:
    return str(dialog.query_one("#edit-reason").render())


async def edit_cell(pilot, text: str) -> EditCellScreen:
    """Open the cell's dialog and type ``text`` in place of its value; wait until the
    dialog has judged it."""
    await press(pilot, "enter", lambda: isinstance(pilot.app.screen, EditCellScreen))
    dialog = pilot.app.screen
    await until(pilot, lambda: dialog.query_one("#edit-input").has_focus)
    await pilot.press("ctrl+a")
    await pilot.press("ctrl+k")
    await until(pilot, lambda: typed(dialog) == "", what="the value cleared")
    for char in text:
        await pilot.press(char)
    await until(pilot, lambda: typed(dialog) == text and reason(dialog), what=f"{text!r} typed")
    return dialog


def cursor_at(editor: EditorScreen, row: int, column: int):
    return lambda: tuple(editor.query_one("#editor-assets").cursor_coordinate) == (row, column)


async def test_edit_a_max_weight_recompute_and_save_keeping_comments(tmp_path, data_dir):
    path, session = copy_session(tmp_path)
    original = path.read_text()
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot)
        for row in (1, 2, 3):  # USMV
            await press(pilot, "down", cursor_at(editor, row, 0))
        maximum = [key for key, _ in ASSET_COLUMNS].index("max")
        for column in range(1, maximum + 1):
            await press(pilot, "right", cursor_at(editor, 3, column))
        dialog = await edit_cell(pilot, "0.2")
        assert "ok" in reason(dialog)
        await press(pilot, "enter", lambda: app.screen is editor)
        await until(pilot, lambda: rows(editor.query_one("#editor-assets"))[3][maximum] == "0.2")
        await shows(pilot, "modified")
        await until(  # targets recomputed
            pilot,
            lambda: app.plan is not None and app.plan.positions[3].target <= 0.2 + 1e-9,
            what="the new targets",
        )
        await press(pilot, "ctrl+s", lambda: not app.portfolio_file.dirty)
    saved = path.read_text()
    changes = [d for d in difflib.ndiff(original.splitlines(), saved.splitlines()) if d[:1] in "+-"]
    assert changes == ["+ max = 0.2"]  # every comment and line kept byte for byte


async def test_invalid_input_shows_the_reason_and_changes_nothing(tmp_path, data_dir):
    _, session = copy_session(tmp_path)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot)
        budget = [key for key, _ in ASSET_COLUMNS].index("budget")
        for column in range(1, budget + 1):
            await press(pilot, "right", cursor_at(editor, 0, column))
        dialog = await edit_cell(pilot, "-1")
        assert "risk budget must be > 0" in reason(dialog)
        await pilot.press("enter")  # refused: the dialog stays ...
        await press(pilot, "escape", lambda: app.screen is editor)  # ... until Esc closes it
        assert rows(editor.query_one("#editor-assets"))[0][budget] == ""
        # the rules table: lookback is its second row
        rules = editor.query_one("#editor-rules")
        await press(pilot, "tab", lambda: rules.has_focus)
        await press(pilot, "down", lambda: rules.cursor_row == 1)
        dialog = await edit_cell(pilot, "3")
        assert "must be in [20, 5000]" in reason(dialog)
        await press(pilot, "escape", lambda: app.screen is editor)
        assert not app.portfolio_file.dirty


async def test_undo_add_unknown_symbol_and_the_quit_prompt(tmp_path, data_dir):
    path, session = copy_session(tmp_path)
    app = make_app(session)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        editor = await open_editor(pilot)
        rules = editor.query_one("#editor-rules")
        await press(pilot, "tab", lambda: rules.has_focus)
        await press(pilot, "down", lambda: rules.cursor_row == 1)  # lookback
        await edit_cell(pilot, "126")
        await press(pilot, "enter", lambda: app.session.portfolio.strategy.lookback == 126)
        await settle(pilot)
        await press(pilot, "ctrl+z", lambda: app.session.portfolio.strategy.lookback == 252)
        await settle(pilot)
        assert not app.portfolio_file.dirty
        # not in the bundled price history: refused in the dialog, saying what to do here
        await press(pilot, "a", lambda: isinstance(app.screen, EditCellScreen))
        for char in "SPY":
            await pilot.press(char)
        await until(pilot, lambda: typed(app.screen) == "SPY" and reason(app.screen) != "ok")
        why = reason(app.screen)
        assert "no prices for SPY" in why and "pick one of MTUM, QUAL" in why, why
        assert "pass --prices" not in why
        await pilot.press("enter")  # refused: the dialog stays
        await press(pilot, "escape", lambda: app.screen is editor)
        assert len(rows(editor.query_one("#editor-assets"))) == 5
        # remove MTUM
        await press(pilot, "x", lambda: app.session.portfolio.symbols[0] == "QUAL")
        await settle(pilot)
        await press(pilot, "escape", lambda: app.screen is app.dashboard)
        # unsaved: asked, not lost
        await press(pilot, "q", lambda: isinstance(app.screen, ChoiceScreen))
        await press(pilot, "d", lambda: not app.is_running)  # discard and quit
    assert path.read_text() == PORTFOLIO.read_text()


async def test_a_file_changed_on_disk_is_offered_for_reload(tmp_path, data_dir):
    path, session = copy_session(tmp_path)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        path.write_text(path.read_text().replace("lookback = 252", "lookback = 189"))
        app.portfolio_dialogue.watch_file()
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await press(pilot, "r", lambda: app.session.portfolio.strategy.lookback == 189)
        await until(pilot, lambda: app.plan is not None and app.plan.lookback == 189)


async def test_a_listing_check_passing_as_the_editor_closes_lands(tmp_path, data_dir):
    """Escape just as a new listing's check passes (an IBKR contract can take seconds): the
    edit lands, and the closed editor's tables are not redrawn (their widgets are gone: that
    crashed the app)."""
    import asyncio
    import contextlib

    from rp_tui.services import session as sessions
    from rp_tui.ui.dashboard import DashboardScreen

    release = asyncio.Event()

    async def slow_check(*_args):
        # closing the editor cancels its workers; this check's answer was already on its
        # way back: it ignores the cancel
        with contextlib.suppress(asyncio.CancelledError):
            await release.wait()

    _, session = copy_session(tmp_path)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot)
        sessions_check, sessions.check_new_asset = sessions.check_new_asset, slow_check
        try:
            editor.listing_checked(0, "exchange", "ARCA")
            await press(pilot, "escape", lambda: isinstance(app.screen, DashboardScreen))
            release.set()
            await until(pilot, lambda: app.portfolio_file.dirty, what="the edit landed")
            assert app.portfolio_file.portfolio.assets[0].exchange == "ARCA"
        finally:
            sessions.check_new_asset = sessions_check


async def test_a_listing_check_still_running_when_the_editor_closes_lands_and_says_so(
    tmp_path, data_dir
):
    """Esc while a new listing is being checked: the check goes on (it ran on the editor and
    was cancelled with it, dropping the accepted edit without a word), the edit lands once
    the listing is found, and a notice says so on the dashboard. The same for a new asset."""
    import asyncio

    from rp_tui.inputs.portfolio import Asset
    from rp_tui.services import session as sessions
    from rp_tui.ui.dashboard import DashboardScreen

    release = asyncio.Event()

    async def slow_check(*_args):
        await release.wait()  # a cancel would end it here

    _, session = copy_session(tmp_path)
    app = make_app(session)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        editor = await open_editor(pilot)
        symbol = app.portfolio_file.portfolio.assets[0].symbol
        removed = app.portfolio_file.portfolio.assets[-1].symbol  # to add back: it has prices
        app.portfolio_file.remove_asset(len(app.portfolio_file.portfolio.assets) - 1)
        editor.changed()
        sessions_check, sessions.check_new_asset = sessions.check_new_asset, slow_check
        try:
            editor.listing_checked(0, "exchange", "ARCA")
            editor.add_checked(Asset(removed, "SMART", "USD"))
            await press(pilot, "escape", lambda: isinstance(app.screen, DashboardScreen))
            release.set()
            # the removal above made the file dirty already: the notices say the edits landed
            await toast(pilot, f"{symbol}: exchange is now ARCA")
            await toast(pilot, f"{removed} added")
            assets = app.portfolio_file.portfolio.assets
            assert assets[0].exchange == "ARCA" and removed in [a.symbol for a in assets]
            # the new plan these edits started is computed before the app ends
            await until(pilot, lambda: all(w.is_finished for w in app.workers), what="the plan")
        finally:
            sessions.check_new_asset = sessions_check
