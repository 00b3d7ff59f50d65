"""The trade log: every intent, order, status, fill and commission, newest first."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from rp_tui.services import read_trade_log

COLUMNS = ("Time", "Event", "Symbol", "Side", "Qty", "Status", "Order ref", "Details")


def row(record: dict) -> tuple[str, ...]:
    """Flatten one log record into the table's columns (details: whatever else it has)."""
    shown = {
        "ts",
        "event",
        "symbol",
        "side",
        "quantity",
        "shares",
        "filled",
        "status",
        "order_ref",
        "run_id",
        "account",
    }
    quantity = next((record[k] for k in ("quantity", "shares", "filled") if k in record), "")
    details = (
        record.get("message")
        or "; ".join(record.get("reasons", []))
        or ", ".join(
            f"{k}={v}" for k, v in record.items() if k not in shown and v not in ("", None)
        )
    )
    return (
        str(record.get("ts", ""))[:19].replace("T", " "),
        str(record.get("event", "")),
        str(record.get("symbol", "")),
        str(record.get("side", "")),
        str(quantity),
        str(record.get("status", "")),
        str(record.get("order_ref", "")),
        str(details),
    )


class LogScreen(Screen):
    """The last 500 trade-log records of ``<data dir>/trade-log.ndjson``, newest first."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("r", "reload", "Reload")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="log-title")
        yield DataTable(id="log", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#log", DataTable)
        for label in COLUMNS:
            table.add_column(label, key=label)
        self.action_reload()

    def action_reload(self) -> None:
        """Read the log again."""
        records = read_trade_log(500)
        table = self.query_one("#log", DataTable)
        table.clear()
        for record in reversed(records):
            table.add_row(*row(record))
        self.query_one("#log-title", Static).update(
            Text(
                f"Trade log: {len(records)} records, newest first"
                if records
                else "Trade log: empty (orders you send are recorded here)"
            )
        )
