"""The targets editor: the portfolio's assets and rules as tables, edited cell by cell.

Enter edits the cell under the cursor in a small dialog that validates as you type (the
whole portfolio is checked, so the reason shown is the one a save would give); nothing
invalid is kept. Targets, drift and orders recompute after every accepted edit; ``ctrl+s``
saves ``portfolio.toml`` keeping its comments, ``ctrl+z`` undoes, Esc goes back.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from rp_tui.errors import UserError
from rp_tui.inputs.portfolio import Asset
from rp_tui.inputs.portfolio_edit import PortfolioFile

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
RULES = (  # (table, key) of portfolio.toml
    ("strategy", "method"),
    ("strategy", "lookback"),
    ("rebalancing", "frequency"),
    ("rebalancing", "band"),
    ("rebalancing", "cash_buffer"),
    ("strategy", "estimator"),
    ("strategy", "target_volatility"),
    ("rebalancing", "calendar"),
    ("fees", "plan"),
)
NUMBERS = {"budget", "weight", "min", "max", "lookback", "band", "cash_buffer", "target_volatility"}
OPTIONAL = {"primary_exchange", "asset_class", "budget", "weight", "min", "max", "calendar"}


def parse_value(key: str, text: str):
    """What the user typed, as the TOML value for ``key`` (``None`` removes an optional key).

    Raises:
        ValueError: not a number where one is needed.
    """
    text = text.strip()
    if not text:
        if key in OPTIONAL:
            return None
        raise ValueError(f"{key} cannot be empty")
    if key in NUMBERS:
        number = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
        return int(number) if key == "lookback" and number.is_integer() else number
    return (
        text.upper()
        if key in ("symbol", "exchange", "primary_exchange", "currency", "calendar")
        else text
    )


def asset_cell(asset: Asset, key: str) -> str:
    """The text of one editor cell; defaults (min 0, max 1, no budget) show blank."""
    value = {"min": asset.min_weight, "max": asset.max_weight}.get(key, getattr(asset, key, ""))
    if value is None or (key, value) in (("min", 0.0), ("max", 1.0)):  # defaults: blank
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


class EditCellScreen(ModalScreen[str | None]):
    """A one-field dialog; ``check`` returns the reason a value is invalid, or ``None``."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, value: str, check) -> None:
        super().__init__()
        self.title_text, self.value, self.check = title, value, check

    def compose(self) -> ComposeResult:
        with Vertical(id="edit-box") as box:
            box.border_title = self.title_text
            yield Input(value=self.value, id="edit-input")
            yield Static("", id="edit-reason")
            yield Static(Text("Enter: accept    Esc: cancel"), id="edit-keys")

    @on(Input.Changed)
    def validate_as_typed(self, event: Input.Changed) -> None:
        reason = self.check(event.value)
        self.query_one("#edit-reason", Static).update(
            Text(reason or "ok", style="red" if reason else "green")
        )

    @on(Input.Submitted)
    def accept(self, event: Input.Submitted) -> None:
        if self.check(event.value) is None:
            self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


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

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="editor-status")
        yield DataTable(id="editor-assets", cursor_type="cell", zebra_stripes=True)
        yield DataTable(id="editor-rules", cursor_type="row", zebra_stripes=True)
        yield Footer()

    @property
    def file(self) -> PortfolioFile:
        return self.app.portfolio_file

    def on_mount(self) -> None:
        assets = self.query_one("#editor-assets", DataTable)
        for key, label in ASSET_COLUMNS:
            assets.add_column(label, key=key)
        rules = self.query_one("#editor-rules", DataTable)
        rules.add_column("Rule", key="rule")
        rules.add_column("Value", key="value")
        self.refresh_tables()

    def refresh_tables(self) -> None:
        """Redraw both tables and the status line from the edited document."""
        p = self.file.portfolio
        assets = self.query_one("#editor-assets", DataTable)
        assets.clear()
        for i, asset in enumerate(p.assets):
            assets.add_row(*(asset_cell(asset, key) for key, _ in ASSET_COLUMNS), key=str(i))
        rules = self.query_one("#editor-rules", DataTable)
        rules.clear()
        for table, key in RULES:
            value = p.fee_plan if table == "fees" else getattr(getattr(p, table), key)
            rules.add_row(
                f"{table}.{key}",
                f"{value:g}" if isinstance(value, float) else str(value),
                key=f"{table}.{key}",
            )
        mark = "modified, ctrl+s saves" if self.file.dirty else "saved"
        self.query_one("#editor-status", Static).update(
            Text(f"{self.file.path.name}: {mark} | Enter edits, Tab switches table")
        )

    def _edit(self, apply, dry_run: bool) -> str | None:
        try:
            apply(dry_run)
        except (UserError, ValueError) as exc:
            return str(exc).split(": ", 1)[-1] if dry_run else str(exc)
        return None

    def action_edit(self) -> None:
        """Edit the focused cell (assets) or row (rules) in a validating dialog."""
        assets = self.query_one("#editor-assets", DataTable)
        if assets.has_focus:
            row, column = assets.cursor_coordinate
            key = ASSET_COLUMNS[column][0]

            def apply(text: str, dry_run: bool):
                return self.file.set_asset(row, key, parse_value(key, text), dry_run=dry_run)

            title = f"{self.file.portfolio.assets[row].symbol}: {key}"
            current = asset_cell(self.file.portfolio.assets[row], key)
        else:
            rules = self.query_one("#editor-rules", DataTable)
            table, key = RULES[rules.cursor_row]

            def apply(text: str, dry_run: bool):
                return self.file.set_rule(table, key, parse_value(key, text), dry_run=dry_run)

            title = f"{table}.{key}"
            current = str(rules.get_row_at(rules.cursor_row)[1])

        def check(text: str) -> str | None:
            return self._edit(lambda dry: apply(text, dry), dry_run=True)

        def done(text: str | None) -> None:
            if text is not None:
                problem = self._edit(lambda dry: apply(text, dry), dry_run=False)
                if problem:
                    self.app.notify(problem, severity="error")
                self.changed()

        self.app.push_screen(EditCellScreen(title, current, check), done)

    def action_switch_table(self) -> None:
        assets, rules = self.query_one("#editor-assets"), self.query_one("#editor-rules")
        (rules if assets.has_focus else assets).focus()

    def _new_asset(self, text: str) -> Asset:
        """``SYMBOL [EXCHANGE [CURRENCY]]`` as typed; SMART and the base currency by default."""
        parts = [*text.upper().split(), "SMART", self.file.portfolio.base_currency]
        return Asset(*parts[:3])

    def action_add(self) -> None:
        """Add an asset: symbol, exchange and currency as ``SYMBOL [EXCHANGE [CURRENCY]]``."""

        def check(text: str) -> str | None:
            if not text.strip():
                return "type a symbol, e.g. SPY SMART USD"
            a = self._new_asset(text)
            return self._edit(
                lambda dry: self.file.add_asset(a.symbol, a.exchange, a.currency, dry_run=dry),
                dry_run=True,
            )

        def done(text: str | None) -> None:
            if text:
                self.add_checked(self._new_asset(text))

        self.app.push_screen(
            EditCellScreen("Add asset: SYMBOL [EXCHANGE [CURRENCY]]", "", check), done
        )

    @work(exclusive=True, group="add-asset")
    async def add_checked(self, asset: Asset) -> None:
        """Accept the new asset only once it can be priced (price history or IBKR)."""
        from rp_tui.services.session import check_new_asset

        try:
            await check_new_asset(self.app.session, self.app.broker, asset)
            self.file.add_asset(asset.symbol, asset.exchange, asset.currency)
        except UserError as exc:
            self.app.notify(str(exc), title="Asset not added", severity="error", timeout=10)
            return
        self.changed()

    def action_remove(self) -> None:
        """Remove the asset under the cursor (at least two stay)."""
        row = self.query_one("#editor-assets", DataTable).cursor_row
        problem = self._edit(lambda dry: self.file.remove_asset(row), dry_run=False)
        if problem:
            self.app.notify(problem, severity="error")
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
        """Recompute targets, drift and orders from the edited portfolio."""
        self.refresh_tables()
        self.app.portfolio_dialogue.edited()
