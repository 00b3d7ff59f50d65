"""The editor edits every rule (choices picked from their list), keeps the cursor on the
edited cell, keeps fast typing in order, refuses numbers as symbols, asks a new asset's
budget or weight when the method needs one, and a theme switch alone edits nothing."""

from __future__ import annotations

import tomllib

from textual import events

from rp_tui.inputs.portfolio_edit import RULE_FIELDS
from rp_tui.services.session import open_session
from rp_tui.ui.edit_dialogs import PickScreen
from rp_tui.ui.editor import ASSET_COLUMNS, EditCellScreen
from tests.ui.conftest import SIZE, make_app, portfolio_copy, press, rows, settle, until
from tests.ui.test_editor import copy_session, cursor_at, edit_cell, open_editor, reason, typed

COLUMN = {key: i for i, (key, _) in enumerate(ASSET_COLUMNS)}


async def to_column(pilot, editor, row: int, key: str) -> None:
    for column in range(1, COLUMN[key] + 1):
        await press(pilot, "right", cursor_at(editor, row, column))


def options(dialog: PickScreen) -> dict[str, str]:
    listed = dialog.query_one("#pick-list")
    return {
        listed.get_option_at_index(i).id: str(listed.get_option_at_index(i).prompt)
        for i in range(listed.option_count)
    }


async def pick(pilot, dialog: PickScreen, value: str) -> None:
    listed = dialog.query_one("#pick-list")
    ids = [listed.get_option_at_index(i).id for i in range(listed.option_count)]
    target = ids.index(value)
    while listed.highlighted != target:
        key = "down" if listed.highlighted is None or listed.highlighted < target else "up"
        before = listed.highlighted
        await press(pilot, key, lambda before=before: listed.highlighted != before)
    await press(pilot, "enter", lambda: pilot.app.screen is not dialog)


async def to_rule(pilot, editor, name: str) -> None:
    rules = editor.query_one("#editor-rules")
    if not rules.has_focus:
        await press(pilot, "tab", lambda: rules.has_focus)
    names = [r[0] for r in rows(rules)]
    while rules.cursor_row != names.index(name):
        key = "down" if rules.cursor_row < names.index(name) else "up"
        before = rules.cursor_row
        await press(pilot, key, lambda before=before: rules.cursor_row != before)


async def test_every_rule_is_edited_choices_picked_and_the_cursor_stays(tmp_path, data_dir):
    path, session = copy_session(tmp_path)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot)
        rules = editor.query_one("#editor-rules")
        expected = [f"{t}.{k}" for t, keys in RULE_FIELDS.items() for k in keys]
        assert [r[0] for r in rows(rules)] == expected
        assert {"rebalancing.skip_uneconomic", "rebalancing.outside_holdings", "fees.plan",
                "rebalancing.min_interval_days", "strategy.outliers"} <= set(expected)  # fmt: skip
        # a choice: picked from its list, a refused one shown with its reason
        await to_rule(pilot, editor, "strategy.method")
        await press(pilot, "enter", lambda: isinstance(app.screen, PickScreen))
        shown = options(app.screen)
        assert "needs a budget on every asset (MTUM)" in shown["risk-budget"]
        assert app.screen.query_one("#pick-list").get_option("risk-budget").disabled
        await pick(pilot, app.screen, "hrp")
        await until(pilot, lambda: app.portfolio_file.portfolio.strategy.method == "hrp")
        assert rules.cursor_row == expected.index("strategy.method")  # the cursor stayed
        # a switch, and the policy's mode
        for name, value in (
            ("rebalancing.skip_uneconomic", "true"),
            ("rebalancing.mode", "buy-only"),
        ):
            await to_rule(pilot, editor, name)
            await press(pilot, "enter", lambda: isinstance(app.screen, PickScreen))
            await pick(pilot, app.screen, value)
            await until(
                pilot, lambda name=name, value=value: rows(rules)[expected.index(name)][1] == value
            )
            assert rules.cursor_row == expected.index(name)
        # a number typed, on a row far down the table: the cursor stays on it
        await to_rule(pilot, editor, "rebalancing.min_interval_days")
        await edit_cell(pilot, "90")
        await press(pilot, "enter", lambda: app.screen is editor)
        await until(pilot, lambda: app.session.portfolio.rebalancing.min_interval_days == 90)
        assert rules.cursor_row == expected.index("rebalancing.min_interval_days")
        # an asset cell: the cursor stays on it
        await press(pilot, "tab", lambda: editor.query_one("#editor-assets").has_focus)
        for row in (1, 2, 3):
            await press(pilot, "down", cursor_at(editor, row, 0))
        await to_column(pilot, editor, 3, "max")
        await edit_cell(pilot, "0.3")
        await press(pilot, "enter", lambda: app.screen is editor)
        await until(pilot, lambda: app.portfolio_file.portfolio.assets[3].max_weight == 0.3)
        assert tuple(editor.query_one("#editor-assets").cursor_coordinate) == (3, COLUMN["max"])
        await press(pilot, "ctrl+s", lambda: not app.portfolio_file.dirty)
    saved = tomllib.loads(path.read_text())
    assert saved["strategy"]["method"] == "hrp"
    assert saved["rebalancing"]["skip_uneconomic"] is True
    assert saved["rebalancing"]["mode"] == "buy-only"
    assert saved["rebalancing"]["min_interval_days"] == 90


def type_fast(app, keys: list[str]) -> None:
    """Keys sent one after the other without waiting for the app, as a quick typist does."""
    for key in keys:
        event = events.Key(key, key if len(key) == 1 else ("\r" if key == "enter" else None))
        event.set_sender(app)
        app._driver.send_message(event)


async def test_keys_typed_quickly_after_an_edit_go_to_the_next_cell(tmp_path, data_dir):
    _, session = copy_session(tmp_path)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot)
        await to_column(pilot, editor, 0, "primary_exchange")
        # Primary of MTUM := ARCA, then down to QUAL's Primary := ARCA, all typed at once
        type_fast(app, ["enter", "ctrl+a", "ctrl+k", *"ARCA", "enter",
                        "down", "enter", "ctrl+a", "ctrl+k", *"ARCA", "enter"])  # fmt: skip
        assets = app.portfolio_file.portfolio.assets
        await until(
            pilot,
            lambda: (
                [a.primary_exchange for a in app.portfolio_file.portfolio.assets[:2]]
                == ["ARCA", "ARCA"]
                and app.screen is editor
            ),
            what="both cells edited",
        )
        assets = app.portfolio_file.portfolio.assets
        assert [a.symbol for a in assets] == ["MTUM", "QUAL", "SIZE", "USMV", "VLUE"]
        assert [a.primary_exchange for a in assets[2:]] == ["BATS"] * 3
        assert tuple(editor.query_one("#editor-assets").cursor_coordinate) == (1, 2)


async def test_a_symbol_must_look_like_a_ticker_and_be_priced(tmp_path, data_dir):
    _, session = copy_session(tmp_path)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await open_editor(pilot)
        dialog = await edit_cell(pilot, "0.15")  # MTUM's symbol
        assert "is not a ticker" in reason(dialog)
        await pilot.press("enter")  # refused: the dialog stays
        await until(pilot, lambda: app.screen is dialog and typed(dialog) == "0.15")
        await pilot.press("ctrl+a", "ctrl+k", *"SPY")
        await until(pilot, lambda: typed(dialog) == "SPY" and "SPY" in reason(dialog))
        assert "no prices for SPY" in reason(dialog) and "--prices FILE" in reason(dialog)
        await press(pilot, "escape", lambda: app.screen is not dialog)
        assert app.portfolio_file.portfolio.assets[0].symbol == "MTUM"
        assert not app.portfolio_file.dirty


async def test_a_theme_switch_alone_is_not_an_edit_and_is_saved_with_the_next_save(
    tmp_path, data_dir
):
    path, session = copy_session(tmp_path)
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = app.theme
        await press(pilot, "t", lambda: app.theme != before)
        assert not app.portfolio_file.dirty and "modified" not in app.sub_title
        editor = await open_editor(pilot)
        assert "theme" in str(editor.query_one("#editor-status").render())
        await press(pilot, "ctrl+s", lambda: app.portfolio_dialogue.pending_theme is None)
    assert tomllib.loads(path.read_text())["ui"]["theme"] == app.theme


async def add_needing(tmp_path, method: str, key: str, values: str):
    text = ""
    path = portfolio_copy(tmp_path, 'method = "erc"', f'method = "{method}"')
    text = path.read_text()
    for symbol, value in zip(("MTUM", "QUAL", "SIZE", "USMV", "VLUE"), values.split(), strict=True):
        text = text.replace(f'symbol = "{symbol}"', f'symbol = "{symbol}"\n{key} = {value}', 1)
    path.write_text(text)
    app = make_app(open_session(path))
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot)
        for row in (1, 2, 3, 4):
            await press(pilot, "down", cursor_at(editor, row, 0))
        await press(pilot, "x", lambda: len(app.portfolio_file.portfolio.assets) == 4)  # VLUE
        await settle(pilot)
        await press(pilot, "a", lambda: isinstance(app.screen, EditCellScreen))
        await pilot.press(*"VLUE")
        await until(pilot, lambda: reason(app.screen) == "ok", what="VLUE accepted")
        first = app.screen
        await press(pilot, "enter", lambda: app.screen is not first)
        asked = app.screen
        assert isinstance(asked, EditCellScreen) and asked.title_text == f"VLUE: {key}"
        await pilot.press(*"0.3")
        await until(pilot, lambda: typed(asked) == "0.3" and reason(asked) == "ok")
        await press(pilot, "enter", lambda: len(app.portfolio_file.portfolio.assets) == 5)
        await settle(pilot)
        added = app.portfolio_file.portfolio.assets[-1]
        return added.symbol, getattr(added, key)


async def test_adding_under_risk_budget_asks_its_budget(tmp_path, data_dir):
    assert await add_needing(tmp_path, "risk-budget", "budget", "0.2 0.2 0.2 0.2 0.2") == (
        "VLUE",
        0.3,
    )


async def test_adding_under_fixed_asks_its_weight(tmp_path, data_dir):
    assert await add_needing(tmp_path, "fixed", "weight", "0.2 0.2 0.2 0.2 0.2") == ("VLUE", 0.3)
