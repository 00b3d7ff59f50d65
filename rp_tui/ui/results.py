"""What the broker did with each order: filled, partial, open, cancelled, rejected, unknown."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from rp_tui.broker.base import Fill
from rp_tui.ui import format as fmt

STATUS_STYLE = {
    "filled": "green",
    "partial": "yellow",
    "open": "yellow",
    "cancelled": "",
    "rejected": "red",
    "unknown": "bold red",
}
ORDER = ("filled", "partial", "open", "cancelled", "rejected", "unknown")


def fills_message(fills: Sequence[Fill]) -> tuple[str, str]:
    """A notification (text, severity) counting each outcome, with every reason."""
    counts = Counter(f.status for f in fills)
    text = (
        ", ".join(
            f"{counts[s]} order{'s' if counts[s] != 1 else ''} {s}" for s in ORDER if counts[s]
        )
        or "no orders"
    )
    problems = [f for f in fills if f.status in ("rejected", "unknown")]
    if counts["unknown"]:
        text += ": outcome unknown (connection lost) — not re-sent; check TWS before retrying"
    elif problems:
        text += (
            " ("
            + "; ".join(f"{f.side} {f.symbol}: {f.message or 'no reason given'}" for f in problems)
            + ")"
        )
    severity = (
        "error" if counts["unknown"] else "warning" if set(counts) - {"filled"} else "information"
    )
    return text, severity


class ResultsScreen(ModalScreen[None]):
    """One row per order: side, symbol, filled of total, average price, commission, status
    and the broker's message; a partial fill shows its open remainder."""

    BINDINGS = [Binding("escape", "dismiss", "Close"), Binding("enter", "dismiss", "Close")]

    def __init__(self, fills: Sequence[Fill]) -> None:
        super().__init__()
        self.fills = list(fills)

    def compose(self) -> ComposeResult:
        text, _ = fills_message(self.fills)
        with Vertical(id="results-box") as box:
            box.border_title = "Orders sent"
            yield Static(Text(text), id="results-summary")
            yield DataTable(id="results", cursor_type="row", zebra_stripes=True)
            yield Static(Text("Enter / Esc: close"), id="results-keys")

    def on_mount(self) -> None:
        table = self.query_one("#results", DataTable)
        for label in ("Side", "Symbol", "Filled", "Avg price", "Comm.", "Status", "Message"):
            table.add_column(label, key=label)
        for f in self.fills:
            total = f.quantity + f.remaining
            table.add_row(
                f.side,
                f.symbol,
                Text(f"{fmt.quantity(f.quantity)}/{fmt.quantity(total)}", justify="right"),
                Text(fmt.number(f.price), justify="right"),
                Text(fmt.money(f.commission, f.currency), justify="right"),
                Text(f.status, style=STATUS_STYLE.get(f.status, "")),
                Text(f.message),
            )

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
