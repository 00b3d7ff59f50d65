"""What the broker did with each order: filled, partial, open, cancelled, rejected, unknown."""

from __future__ import annotations

import re
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

# Each outcome in the words of the summary ("2 orders filled, 1 order partially filled").
OUTCOMES = {
    "filled": "filled",
    "partial": "partially filled",
    "open": "still open",
    "cancelled": "cancelled",
    "rejected": "rejected",
    "unknown": "with an unknown outcome",
}
LABELS = ("Side", "Symbol", "Filled", "Avg price", "Comm.", "Status", "Message")
NUMERIC = {"Filled", "Avg price", "Comm."}
# ib_async's wording repeats the code and names its request: "Error 201, reqId 28: ".
_IB_PREFIX = re.compile(r"Error \d+, reqId -?\d+: ")


def reason(fill: Fill) -> str:
    """The broker's message without ib_async's ``Error N, reqId M:`` prefix."""
    return _IB_PREFIX.sub("", fill.message).strip()


def fills_message(fills: Sequence[Fill]) -> tuple[str, str]:
    """A summary (text, severity) counting each outcome, with every rejection's reason."""
    counts = Counter(f.status for f in fills)
    text = ", ".join(
        f"{counts[s]} order{'s' if counts[s] != 1 else ''} {words}"
        for s, words in OUTCOMES.items()
        if counts[s]
    )
    text = text or "no orders"
    rejected = [f for f in fills if f.status == "rejected"]
    if rejected:
        reasons = (f"{f.side} {f.symbol}: {reason(f) or 'no reason given'}" for f in rejected)
        text += ". Rejected: " + "; ".join(reasons)
    if counts["unknown"]:
        text += (
            ". Unknown: the connection dropped before TWS answered; not re-sent, check those "
            "orders in TWS before running again"
        )
    severity = (
        "error" if counts["unknown"] else "warning" if set(counts) - {"filled"} else "information"
    )
    return text, severity


def outcome_note(fill: Fill) -> str:
    """The message column: the broker's words, plus what is left of a partial or open
    order and what to do about an unknown one."""
    notes = [reason(fill)] if reason(fill) else []
    if fill.status in ("partial", "open") and fill.remaining:
        notes.append(f"{fmt.quantity(fill.remaining)} not filled")
    if fill.status == "unknown" and not fill.message:
        notes.append("outcome unknown: not re-sent; check TWS before retrying")
    return "; ".join(notes)


def commission_text(fills: Sequence[Fill]) -> str:
    """Commission charged, summed per currency (``Commission 3.00 USD``)."""
    paid: dict[str, float] = {}
    for f in fills:
        paid[f.currency] = paid.get(f.currency, 0.0) + f.commission
    return "Commission " + (
        " + ".join(fmt.money(v, ccy) for ccy, v in sorted(paid.items())) or "0.00"
    )


class ResultsScreen(ModalScreen[None]):
    """One row per order: side, symbol, filled of total, average price, commission, status
    and the broker's message; a partial fill shows its open remainder, an unknown outcome
    an alert (it is never re-sent: reconcile in TWS first)."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("enter", "dismiss", "Close", priority=True),  # the table would take it
    ]

    def __init__(self, fills: Sequence[Fill]) -> None:
        super().__init__()
        self.fills = list(fills)

    def compose(self) -> ComposeResult:
        text, severity = fills_message(self.fills)
        summary = Static(Text(f"{text}\n{commission_text(self.fills)}"), id="results-summary")
        summary.set_class(severity == "error", "-error")
        summary.set_class(severity == "warning", "-warning")
        with Vertical(id="results-box") as box:
            box.border_title = "Orders sent"
            yield summary
            yield DataTable(id="results", cursor_type="row", zebra_stripes=True)
            yield Static(Text("Enter / Esc: close"), id="results-keys")

    def on_mount(self) -> None:
        theme = self.app.current_theme
        styles = {
            "filled": theme.success or "green",
            "partial": theme.warning or "yellow",
            "open": theme.warning or "yellow",
            "rejected": f"bold {theme.error or 'red'}",
            "unknown": f"bold reverse {theme.error or 'red'}",
        }
        table = self.query_one("#results", DataTable)
        cells = [
            (
                Text(f.side),
                Text(f.symbol),
                Text(f"{fmt.quantity(f.quantity)}/{fmt.quantity(f.quantity + f.remaining)}"),
                Text(fmt.number(f.price) if f.quantity else "-"),
                Text(fmt.money(f.commission, f.currency)),
                Text(f.status, style=styles.get(f.status, "")),
                Text(outcome_note(f)),
            )
            for f in self.fills
        ]
        widths = [
            max([len(label)] + [row[i].cell_len for row in cells]) for i, label in enumerate(LABELS)
        ]
        # the message takes what the screen leaves (the box's border and padding, each
        # cell's padding), wrapping onto more lines rather than running off the edge
        room = self.app.size.width - 6 - 2 * len(LABELS) - sum(widths[:-1])
        for i, label in enumerate(LABELS):
            numeric = label in NUMERIC
            width = max(room, len(label)) if i == len(LABELS) - 1 else None
            table.add_column(Text(label, justify="right") if numeric else label, key=label,
                             width=width)  # fmt: skip
        for row in cells:
            for i, label in enumerate(LABELS):
                row[i].justify = "right" if label in NUMERIC else "left"
            table.add_row(*row, height=None)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
