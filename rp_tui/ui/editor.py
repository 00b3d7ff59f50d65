"""The targets editor: the portfolio's assets and rules as tables, edited cell by cell.

Every key of ``[strategy]``, ``[rebalancing]`` (the whole policy) and ``[fees] plan`` is a
row of the rules table. Enter edits the cell under the cursor: a key with fixed choices
(method, mode, true / false, ...) is picked from them, each refused choice shown with its
reason; anything else is typed in a dialog that judges the value as you type. Every edit
re-validates the whole document, so the reason shown is the one the file would give and
nothing invalid is kept. Targets, drift and orders recompute after every accepted edit; the
cursor stays on the edited cell; ``ctrl+s`` saves ``portfolio.toml`` keeping its comments,
``ctrl+z`` undoes, Esc goes back.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from rp_tui.errors import UserError
from rp_tui.inputs.portfolio import Asset
from rp_tui.inputs.portfolio_edit import RULE_FIELDS, PortfolioFile
from rp_tui.ui.edit_dialogs import EditCellScreen, Keys, PickScreen
from rp_tui.ui.editor_rules import (
    ASSET_HINTS,
    asset_cell,
    needs_per_asset,
    parse_value,
    price_problem,
    rule_choices,
    rule_hint,
    rule_text,
)

__all__ = ["ASSET_COLUMNS", "RULES", "EditCellScreen", "EditorScreen", "parse_value"]

ASSET_COLUMNS = (
    ("symbol", "Symbol"),
    ("exchange", "Exch"),
    ("primary_exchange", "Primary"),
    ("currency", "Ccy"),
    ("asset_class", "Class"),
    ("budget", "Budget"),
    ("weight", "Weight"),
    ("min", "Min"),
    ("max", "Max"),
)
RULES: tuple[tuple[str, str], ...] = tuple(
    (table, key) for table, keys in RULE_FIELDS.items() for key in keys
)  # every rule of portfolio.toml the editor edits, in the file's order
LISTING = ("symbol", "exchange", "primary_exchange", "currency")  # checked with the broker
_MOVES = {
    "up": "cursor_up",
    "down": "cursor_down",
    "left": "cursor_left",
    "right": "cursor_right",
    "home": "scroll_home",
    "end": "scroll_end",
}


class EditorScreen(Screen):
    """Assets (symbol, exchange, currency, class, budget, weight, min, max) and the rules."""

    BINDINGS = [
        Binding("enter", "edit", "Edit", priority=True),
        Binding("tab", "switch_table", "Assets / rules", show=False),
        Binding("a", "add", "Add"),
        Binding("x", "remove", "Remove"),
        Binding("ctrl+z", "undo", "Undo"),
        Binding("ctrl+s", "save", "Save"),
        Binding("escape", "app.pop_screen", "Back"),
    ]
    DEFAULT_CSS = """
    #editor-hint { height: auto; max-height: 2; padding: 0 1; color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="editor-status")
        yield DataTable(id="editor-assets", cursor_type="cell", zebra_stripes=True)
        yield DataTable(id="editor-rules", cursor_type="row", zebra_stripes=True)
        yield Static("", id="editor-hint")
        yield Footer()

    @property
    def file(self) -> PortfolioFile:
        return self.app.portfolio_file

    def on_mount(self) -> None:
        assets = self.query_one("#editor-assets", DataTable)
        for key, label in ASSET_COLUMNS:
            assets.add_column(label, key=key)
        rules = self.query_one("#editor-rules", DataTable)
        rules.styles.height = "1fr"  # every rule: the table takes the room left, and scrolls
        rules.add_column("Rule", key="rule")
        rules.add_column("Value", key="value")
        self.refresh_tables()

    def refresh_tables(self) -> None:
        """Redraw both tables and the status line from the edited document; each table's
        cursor stays where it was (on the cell just edited)."""
        p = self.file.portfolio
        assets = self.query_one("#editor-assets", DataTable)
        rules = self.query_one("#editor-rules", DataTable)
        at, rule_row = assets.cursor_coordinate, rules.cursor_row
        assets.clear()
        for i, asset in enumerate(p.assets):
            assets.add_row(*(asset_cell(asset, key) for key, _ in ASSET_COLUMNS), key=str(i))
        rules.clear()
        for table, key in RULES:
            rules.add_row(f"{table}.{key}", rule_text(p, table, key), key=f"{table}.{key}")
        assets.move_cursor(
            row=min(at.row, assets.row_count - 1), column=at.column, animate=False, scroll=True
        )
        rules.move_cursor(row=min(rule_row, rules.row_count - 1), animate=False, scroll=True)
        mark = "modified, ctrl+s saves" if self.file.dirty else "saved"
        theme = getattr(self.app.portfolio_dialogue, "pending_theme", None)
        if theme:
            mark += f"; theme {theme} is kept at the next ctrl+s"
        self.query_one("#editor-status", Static).update(
            Text(f"{self.file.path.name}: {mark} | Enter edits, Tab switches table")
        )
        self.show_hint()

    def show_hint(self) -> None:
        """What the cell under the cursor takes."""
        assets = self.query_one("#editor-assets", DataTable)
        if assets.has_focus or not self.query_one("#editor-rules", DataTable).has_focus:
            key = ASSET_COLUMNS[assets.cursor_column][0]
            hint = f"{key}: {ASSET_HINTS.get(key, '')}"
        else:
            table, key = RULES[self.query_one("#editor-rules", DataTable).cursor_row]
            hint = f"{table}.{key}: {rule_hint(table, key)}"
        self.query_one("#editor-hint", Static).update(Text(hint))

    def on_data_table_cell_highlighted(self, _event: DataTable.CellHighlighted) -> None:
        self.show_hint()

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.show_hint()

    def on_descendant_focus(self, _event) -> None:
        self.show_hint()

    def replay(self, keys: Keys) -> None:
        """Keys typed while a dialog closed, applied in order: moves, Tab, then Enter opens
        the next dialog with the rest typed into it; anything else goes to the app."""
        for i, (key, _character) in enumerate(keys):
            focused = self.focused
            if key == "enter":
                self.action_edit(typed=keys[i + 1 :])
                return
            if key == "tab":
                self.action_switch_table()
            elif key in _MOVES and isinstance(focused, DataTable):
                getattr(focused, f"action_{_MOVES[key]}")()
            else:
                for rest in keys[i:]:
                    self.app.post_message(events.Key(*rest))
                return

    @staticmethod
    def reason(apply) -> str | None:
        """Why ``apply(dry_run=True)`` is refused (the file's words), or ``None``."""
        try:
            apply(True)
        except (UserError, ValueError) as exc:
            return str(exc).split(": ", 1)[-1]
        return None

    def action_edit(self, typed: Keys = ()) -> None:
        """Edit the focused cell (assets) or rule (rules): pick from its choices, or type it
        in a validating dialog (``typed``: keys typed before it opened)."""
        assets = self.query_one("#editor-assets", DataTable)
        if assets.has_focus:
            row, column = assets.cursor_coordinate
            key = ASSET_COLUMNS[column][0]
            asset = self.file.portfolio.assets[row]

            def apply(text: str, dry_run: bool):
                value = parse_value(key, text)
                result = self.file.set_asset(row, key, value, dry_run=dry_run)  # the file's rule
                if dry_run and (problem := self.priced(key, value)):  # then: priced here?
                    raise ValueError(problem)
                return result

            title, current = f"{asset.symbol}: {key}", asset_cell(asset, key)
            hint = ASSET_HINTS.get(key, "")
        else:
            table, key = RULES[self.query_one("#editor-rules", DataTable).cursor_row]

            def apply(text: str, dry_run: bool):
                return self.file.set_rule(table, key, parse_value(key, text), dry_run=dry_run)

            title = f"{table}.{key}"
            current = rule_text(self.file.portfolio, table, key)
            hint = rule_hint(table, key)
            choices = rule_choices(table, key)
            if choices:
                options = [(c, self.reason(lambda dry, c=c: apply(c, dry))) for c in choices]
                options = [(c, why and why.removeprefix(f"{title}: ")) for c, why in options]
                self.app.push_screen(
                    PickScreen(title, options, current, typed, self.replay),
                    lambda t: self.accepted(apply, t),
                )
                return

        def check(text: str) -> str | None:
            return self.reason(lambda dry: apply(text, dry))

        if assets.has_focus and key in LISTING:
            done = lambda text: self.listing_checked(row, key, text)  # noqa: E731
        else:
            done = lambda text: self.accepted(apply, text)  # noqa: E731
        self.app.push_screen(EditCellScreen(title, current, check, hint, typed, self.replay), done)

    def accepted(self, apply, text: str | None) -> None:
        """Apply an accepted value (``None``: cancelled)."""
        if text is None:
            return
        try:
            apply(text, False)
        except (UserError, ValueError) as exc:
            self.app.notify(str(exc), severity="error")
        self.changed()

    def priced(self, key: str, value) -> str | None:
        """Why the listing after this edit cannot be priced in this session, or ``None``."""
        if key != "symbol" or value is None:
            return None
        return price_problem(self.app.session, self.app.broker.kind, str(value))

    def listing_checked(self, row: int, key: str, text: str | None) -> None:
        """Keep a new symbol, exchange or currency once it can be priced (the price history,
        or the broker: a real IBKR contract, a tradable Alpaca asset). The check runs on the
        app, not on this screen: Esc while it runs (an IBKR contract can take seconds) would
        cancel a screen's worker and drop the accepted edit without a word."""
        if text is not None:  # several checks may run: two quick edits both land
            self.app.run_worker(partial(self._check_listing, row, key, text), group="edit-listing")

    async def _check_listing(self, row: int, key: str, text: str) -> None:
        from dataclasses import replace

        from rp_tui.services.session import check_new_asset

        app, value = self.app, parse_value(key, text)
        asset = self.file.portfolio.assets[row]
        try:
            await check_new_asset(app.session, app.broker, replace(asset, **{key: value or ""}))
            self.file.set_asset(row, key, value)
        except UserError as exc:
            app.notify(str(exc), title=f"{key} not changed", severity="error", timeout=10)
            return
        self._landed(
            f"{asset.symbol}: {key} is now {value or '(none)'}",
            lambda: getattr(app.session.portfolio.assets[row], key) == value,
        )

    def _landed(self, what: str, kept: Callable[[], bool]) -> None:
        """Apply an edit whose check has passed; if the editor has closed meanwhile, say on
        the screen shown that it was kept (``kept()``: the session still has it; an edit the
        session cannot apply is undone, and says so itself)."""
        open_ = self in self.app.screen_stack
        self.changed()
        if not open_ and kept():
            self.app.notify(what + " (checked after the editor closed; not saved yet)")

    def action_switch_table(self) -> None:
        assets, rules = self.query_one("#editor-assets"), self.query_one("#editor-rules")
        (rules if assets.has_focus else assets).focus()

    def _new_asset(self, text: str) -> Asset:
        """``SYMBOL [EXCHANGE [CURRENCY]]`` as typed; SMART and the base currency by default."""
        parts = [*text.upper().split(), "SMART", self.file.portfolio.base_currency]
        return Asset(*parts[:3])

    def action_add(self) -> None:
        """Add an asset: ``SYMBOL [EXCHANGE [CURRENCY]]``, then its budget (method
        ``risk-budget``) or weight (``fixed``) when the method needs one on every asset."""
        needed = needs_per_asset(self.file.portfolio.strategy.method)

        def check(text: str) -> str | None:
            if not text.strip():
                return "type a symbol, e.g. SPY SMART USD"
            a = self._new_asset(text)
            if problem := price_problem(self.app.session, self.app.broker.kind, a.symbol):
                return problem
            extra = {needed: 1.0} if needed else {}  # its own value is asked next
            return self.reason(
                lambda dry: self.file.add_asset(a.symbol, a.exchange, a.currency, dry, **extra)
            )

        def done(text: str | None) -> None:
            if not text:
                return
            asset = self._new_asset(text)
            if needed:
                self.ask_needed(asset, needed)
            else:
                self.add_checked(asset)

        self.app.push_screen(
            EditCellScreen(
                "Add asset: SYMBOL [EXCHANGE [CURRENCY]]",
                "",
                check,
                "e.g. SPY, or SPY ARCA USD; the exchange defaults to SMART",
            ),
            done,
        )

    def ask_needed(self, asset: Asset, key: str) -> None:
        """Ask the new asset's budget or weight (the method needs one on every asset)."""
        method = self.file.portfolio.strategy.method

        def check(text: str) -> str | None:
            return self.reason(
                lambda dry: self.file.add_asset(
                    asset.symbol,
                    asset.exchange,
                    asset.currency,
                    dry,
                    **{key: parse_value(key, text)},
                )
            )

        def done(text: str | None) -> None:
            if text:
                self.add_checked(asset, **{key: parse_value(key, text)})

        others = [getattr(a, key) for a in self.file.portfolio.assets]
        hint = f"method {method} needs a {key} on every asset; the others have " + ", ".join(
            f"{a.symbol} {v:g}" for a, v in zip(self.file.portfolio.assets, others, strict=True)
        )
        self.app.push_screen(EditCellScreen(f"{asset.symbol}: {key}", "", check, hint), done)

    def add_checked(self, asset: Asset, **optional: float) -> None:
        """Accept the new asset only once it can be priced (price history or IBKR); the
        check runs on the app, so closing the editor does not drop it (see above)."""
        # a partial, not a coroutine: a check replaced before it starts leaves none unawaited
        work = partial(self._check_new_asset, asset, **optional)
        self.app.run_worker(work, group="add-asset", exclusive=True)

    async def _check_new_asset(self, asset: Asset, **optional: float) -> None:
        from rp_tui.services.session import check_new_asset

        app = self.app
        try:
            await check_new_asset(app.session, app.broker, asset)
            self.file.add_asset(asset.symbol, asset.exchange, asset.currency, **optional)
        except UserError as exc:
            app.notify(str(exc), title="Asset not added", severity="error", timeout=10)
            return
        self._landed(
            f"{asset.symbol} added",
            lambda: asset.symbol in [a.symbol for a in app.session.portfolio.assets],
        )

    def action_remove(self) -> None:
        """Remove the asset under the cursor (at least two stay)."""
        row = self.query_one("#editor-assets", DataTable).cursor_row
        try:
            self.file.remove_asset(row)
        except UserError as exc:
            self.app.notify(str(exc), severity="error")
        self.changed()

    def action_undo(self) -> None:
        try:
            self.file.undo()
        except UserError as exc:
            self.app.notify(str(exc))
            return
        self.changed()

    def action_save(self) -> None:
        self.app.portfolio_dialogue.save()
        self.refresh_tables()

    def changed(self) -> None:
        """Recompute targets, drift and orders from the edited portfolio; the tables only
        while the editor is open (a listing check can end after Esc: its edit lands)."""
        if self in self.app.screen_stack:
            self.refresh_tables()
        self.app.portfolio_dialogue.edited()
