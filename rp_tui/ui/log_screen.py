"""The trade log: every intent, order, status, fill and commission, newest first."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Header, Static

from rp_tui.services.execution import read_trade_log
from rp_tui.ui import format as fmt

COLUMNS = ("Time", "Event", "Symbol", "Side", "Qty", "Status", "Details", "Order ref")
# Fields the columns already show; anything else goes to Details as key=value.
SHOWN = {
    "ts",
    "event",
    "symbol",
    "side",
    "quantity",
    "shares",
    "filled",
    "remaining",
    "status",
    "order_ref",
    "run_id",
    "account",
    "message",
    "reasons",
    "reason",
}


def local_time(ts: str) -> str:
    """An ISO UTC timestamp as local ``mm-dd HH:MM:SS`` (the detail line has the year)."""
    try:
        return datetime.fromisoformat(ts).astimezone().strftime("%m-%d %H:%M:%S")
    except ValueError:
        return ts[:19].replace("T", " ")


def full_record(record: dict) -> str:
    """Every field of a record, ``key value`` pairs in log order, floats rounded."""

    def shown(value: object) -> str:
        if isinstance(value, float):
            return f"{round(value, 6):g}"
        if isinstance(value, list):
            return "; ".join(map(str, value))
        return str(value)

    return "   ".join(f"{k} {shown(v)}" for k, v in record.items() if v not in ("", None))


def record_lines(record: dict) -> Text:
    """Every field of a record on its own line (``key  value``), in log order; lists one
    item a line; nothing cut."""
    text = Text()
    width = max((len(k) for k in record), default=0)
    for key, value in record.items():
        if value in ("", None):
            continue
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            text.append(f"{key if i == 0 else '':<{width}}  ", style="bold")
            shown = f"{round(item, 6):g}" if isinstance(item, float) else str(item)
            text.append(shown + "\n")
    text.rstrip()
    return text


class RecordScreen(ModalScreen[None]):
    """One trade-log record in full, a field a line; scrolls when longer than the screen.
    Enter or Esc closes."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("enter", "close", "Close", show=False),
    ]
    DEFAULT_CSS = """
    RecordScreen { align: center middle; }
    #record-box {
        width: 78; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    #record-fields { height: auto; max-height: 1fr; }
    #record-keys { text-style: bold; color: $warning; }
    """

    def __init__(self, record: dict) -> None:
        super().__init__()
        self.record = record

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="record-box") as box:
            box.border_title = f"Trade log: {self.record.get('event', 'record')}"
            yield Static(record_lines(self.record), id="record-fields")
            yield Static(Text("Enter / Esc: close    up / down: scroll"), id="record-keys")

    def on_mount(self) -> None:
        self.query_one("#record-box").focus()

    def action_close(self) -> None:
        """Back to the log."""
        self.dismiss(None)


def _num(value: object) -> str:
    return fmt.number(value) if isinstance(value, int | float) else str(value)


def _quantity(record: dict) -> str:
    if "shares" in record:
        return fmt.quantity(record["shares"])
    if "filled" in record and "remaining" in record:  # status / result: filled of total
        filled, remaining = record["filled"], record["remaining"]
        return f"{fmt.quantity(filled)}/{fmt.quantity(filled + remaining)}"
    if "quantity" in record:
        return fmt.quantity(record["quantity"])
    return ""


def details(record: dict) -> str:
    """What else the record says, in words for the usual events, else ``key=value``."""
    event = record.get("event")
    parts: list[str] = []
    if event == "intent":
        estimate = _num(record.get("estimated_commission", ""))
        parts.append(
            f"{record.get('order_type', '')} {_num(record.get('limit', ''))} "
            f"{record.get('currency', '')}, est. comm. {estimate}"
        )
    elif event == "fill":
        parts.append(
            f"@ {_num(record.get('price', ''))}, comm. {_num(record.get('commission', ''))} "
            f"{record.get('commission_currency', '')}".rstrip()
        )
    elif event == "result":
        parts.append(
            f"avg {_num(record.get('avg_price', ''))}, comm. {_num(record.get('commission', ''))}"
        )
    else:
        parts += [
            f"{k}={_num(v)}" for k, v in record.items() if k not in SHOWN and v not in ("", None)
        ]
    parts += [str(record[k]) for k in ("message", "reason") if record.get(k)]
    parts += [str(r) for r in record.get("reasons", [])]
    return "; ".join(p for p in parts if p.strip())


def row(record: dict, orders: dict[str, dict] | None = None) -> tuple[str, ...]:
    """Flatten one log record into the table's columns; ``orders`` (intents by order
    ref) names the symbol and side of records that carry only the order ref."""
    intent = (orders or {}).get(record.get("order_ref", ""), {})
    return (
        local_time(str(record.get("ts", ""))),
        str(record.get("event", "")),
        str(record.get("symbol", intent.get("symbol", ""))),
        str(record.get("side", intent.get("side", ""))),
        _quantity(record),
        str(record.get("status", "")),
        details(record),
        str(record.get("order_ref", "")),
    )


class LogScreen(Screen):
    """The last 500 trade-log records of ``<data dir>/trade-log.ndjson``, newest first;
    the highlighted record is shown below the table, and Enter opens it in full."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("enter", "open", "Details"),
        Binding("r", "reload", "Reload"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="log-title")
        yield DataTable(id="log", cursor_type="row", zebra_stripes=True)
        yield Static("", id="log-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#log", DataTable)
        for label in COLUMNS:
            table.add_column(label, key=label)
        self.action_reload()

    def action_reload(self) -> None:
        """Read the log again."""
        self.records = list(reversed(read_trade_log(500)))
        orders = {r["order_ref"]: r for r in self.records if r.get("event") == "intent"}
        table = self.query_one("#log", DataTable)
        table.clear()
        for i, record in enumerate(self.records):
            table.add_row(*row(record, orders), key=str(i))
        self.query_one("#log-title", Static).update(
            Text(
                f"Trade log: {len(self.records)} record{'s' if len(self.records) != 1 else ''},"
                " newest first (local time); Enter shows one in full"
                if self.records
                else "Trade log: empty (orders you send are recorded here)"
            )
        )
        self.query_one("#log-detail", Static).display = bool(self.records)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Show the whole highlighted record (long reasons and refs do not fit a cell)."""
        if event.row_key is None or event.row_key.value is None:
            return  # an empty log: nothing is highlighted
        record = self.records[int(event.row_key.value)]
        self.query_one("#log-detail", Static).update(Text(full_record(record)))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row: that record in full."""
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        """Open the highlighted record in full (every field, a line each)."""
        table = self.query_one("#log", DataTable)
        if self.records and table.row_count:
            self.app.push_screen(RecordScreen(self.records[table.cursor_row]))
