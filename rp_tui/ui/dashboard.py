"""The dashboard: one row per holding (portfolio assets and any other holding of the
account), account totals, the plan's notes, the policy and schedule, and a status line.

The lines' words come from :mod:`rp_tui.ui.dashboard_text`.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from rp_tui.broker.base import AccountSnapshot
from rp_tui.services.plan_records import Plan, PositionRow
from rp_tui.ui import format as fmt
from rp_tui.ui.dashboard_text import (
    OUTSIDE_MARK,
    access_alerts,
    account_rows,
    blocked_text,
    connection_lost,
    note_lines,
    out_of_band,
    policy_text,
    rules_text,
    safe_access,
    status_text,
    totals_lines,
)
from rp_tui.ui.kill_switch import trading_state_name

# (key, label) of the positions table; numbers are right-aligned. When the terminal is too
# narrow for every column (80 columns), the exchange is left out rather than cut.
COLUMNS = (
    ("symbol", "Symbol"),
    ("quantity", "Qty"),
    ("price", "Price"),
    ("data", "Data"),
    ("value", "Value"),
    ("weight", "Weight"),
    ("target", "Target"),
    ("drift", "Drift"),
    ("risk", "Risk"),
    ("currency", "Ccy"),
    ("exchange", "Exch"),
)
NUMERIC = {"quantity", "price", "value", "weight", "target", "drift", "risk"}
PENDING = ("target", "drift", "risk")  # shown as "..." until the plan has its targets
OPTIONAL = ("exchange",)  # left out, in this order, when the table would not fit
WIDE = 100  # columns from which the policy and schedule are spelled out in full
# The kind of price behind each row, at most 5 characters wide.
DATA_LABELS = {
    "live": "live",
    "delayed": "delay",
    "frozen": "last",
    "delayed-frozen": "delay",
    "close": "close",
    "portfolio": "mark",
}

RETRY_NOTE = "Press r to retry (edits to portfolio.toml need a restart)."


def _right(text: str, style: str = "") -> Text:
    return Text(text, style=style, justify="right")


class DashboardScreen(Screen):
    """Positions, target weights and drift of the account; the app's home screen.

    Money in each row's currency (value in the base currency, named in the header);
    weight, target and risk contribution in percent of NAV / of portfolio variance;
    drift in signed percentage points. Holdings not listed in portfolio.toml carry
    :data:`~rp_tui.ui.dashboard_text.OUTSIDE_MARK` after their symbol.
    """

    BINDINGS = [  # the footer shows the everyday keys; ? lists them all
        Binding("p", "app.preview", "Preview"),
        Binding("b", "app.backtest", "Backtest"),
        Binding("v", "app.risk", "Risk"),
        Binding("l", "app.log", "Log"),
        Binding("e", "app.edit", "Edit"),
        Binding("k", "app.trading_state", "Kill switch"),
        Binding("c", "app.cash_flow", "Cash flow: deposit / withdrawal", show=False),
        Binding("d", "toggle_drift", "Drift: weight / risk", show=False),
        Binding("r", "app.refresh_plan", "Refresh", show=False),
    ]
    risk_drift = False  # the Drift column: weight drift (pp) or risk-contribution drift
    error: str | None = None  # why the last plan could not be built
    loading = "loading account"  # the status line's words until a plan lands

    def __init__(self) -> None:
        super().__init__()
        self.columns: tuple[str, ...] = ()  # the table's column keys now
        self.schedule_lines: tuple[str, str] = ("", "")  # compact and wide, "" when unused

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="status")
        yield DataTable(id="positions", cursor_type="row", zebra_stripes=True)
        yield Static("Loading account...", id="totals")
        yield Static("", id="alerts")
        yield Static("", id="notes")
        yield Static("", id="rules")
        # Ctrl+P still opens the palette (and ? lists it): its footer slot goes to the keys.
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self._set_columns(dict.fromkeys(key for key, _ in COLUMNS))
        self.query_one("#alerts").display = False
        self.query_one("#notes").display = False
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._restyle())
        self.update_status()
        self._show_rules()
        # the frame paints first; the account (a worker) lands in it afterwards
        self.call_after_refresh(self.app.action_refresh_plan)

    def on_resize(self, event: events.Resize) -> None:
        """A new width: the columns that fit, the policy in full or compact."""
        if self.app.plan is not None and self.error is None:
            self.show_plan(self.app.plan)
        else:
            self._show_rules()

    @property
    def wide(self) -> bool:
        """Room to spell the policy and schedule out in full."""
        return self.app.size.width >= WIDE

    def update_status(self) -> None:
        """Redraw the status line: a lost connection (warning colour) first, else why the
        plan failed (error colour), else broker, account, PAPER / LIVE, READ-ONLY, trading
        state and rules."""
        app = self.app
        status = self.query_one("#status", Static)
        lost = connection_lost(app.connection)
        state = trading_state_name()
        access = safe_access(app.broker)
        live = access is not None and access.live and bool(access.account)
        status.set_class(self.error is not None and not lost, "-error")
        status.set_class(lost or state != "ACTIVE" or live, "-warning")
        if self.error is not None and not lost:
            status.update(Text(f"No plan: {self.error}"))
            return
        plan = getattr(app, "plan", None)
        line = status_text(
            app.session,
            plan,
            app.broker.kind,
            app.connection,
            state,
            failed=self.error is not None,
            access=access,
            loading=self.loading,
        )
        status.update(Text(line))

    def action_toggle_drift(self) -> None:
        """Show drift in weight (percentage points of NAV) or in risk contribution."""
        self.risk_drift = not self.risk_drift
        table = self.query_one("#positions", DataTable)
        if "drift" in self.columns:
            column = table.ordered_columns[table.get_column_index("drift")]
            column.label = _right("RC drift" if self.risk_drift else "Drift")
            table.refresh()
        if self.app.plan is not None:
            self.show_plan(self.app.plan)

    def _restyle(self) -> None:
        """A new theme: blocked rows take its warning colour."""
        if self.app.plan is not None:
            self.show_plan(self.app.plan)

    def _warning_style(self) -> str:
        return f"bold {self.app.current_theme.warning or 'yellow'}"

    def _labels(self) -> dict[str, str]:
        base = self.app.session.portfolio.base_currency
        labels = dict(COLUMNS)
        labels["value"] = f"Value {base}"  # values in the base currency
        labels["drift"] = "RC drift" if self.risk_drift else "Drift"
        return labels

    def _set_columns(self, widths: dict[str, int | None]) -> None:
        """Rebuild the table's columns: ``{key: content width}`` (``None``: measured by
        the table). Explicit widths keep the layout from waiting on the table's own
        measuring, which runs when it is idle (under load, after the screen was drawn)."""
        table = self.query_one("#positions", DataTable)
        table.clear(columns=True)
        labels = self._labels()
        for key, width in widths.items():
            label = _right(labels[key]) if key in NUMERIC else labels[key]
            table.add_column(label, key=key, width=width)
        self.columns = tuple(widths)

    def _fitting(self, rows: list[dict[str, Text]]) -> dict[str, int]:
        """The columns whose widths fit the terminal (one column kept for a scrollbar),
        leaving out :data:`OPTIONAL` ones as needed: ``{key: content width}``."""
        labels = self._labels()
        widths = {
            key: max([len(labels[key])] + [row[key].cell_len for row in rows]) for key, _ in COLUMNS
        }
        total = sum(w + 2 for w in widths.values())  # the table pads each cell by one a side
        for key in OPTIONAL:
            if total <= self.app.size.width - 1:
                break
            total -= widths.pop(key) + 2
        return widths

    def _cells(
        self, p: PositionRow, plan: Plan | None, warn: str, kinds: dict[str, str] | None = None
    ) -> dict[str, Text]:
        drift = p.risk_drift if self.risk_drift else p.drift
        kind = (plan.quote_kinds if plan else kinds or {}).get(p.symbol, "")
        blocked = warn if plan and p.symbol in plan.blocked else ""
        mark = "" if p.in_portfolio else OUTSIDE_MARK
        outside_band = plan is not None and p.in_portfolio and out_of_band(p, plan)
        return {
            "symbol": Text(p.symbol + mark, style=blocked),
            "quantity": _right(fmt.quantity(p.quantity)),
            "price": _right(fmt.number(p.price)),
            "data": Text(DATA_LABELS.get(kind, kind), style=blocked),
            "value": _right(fmt.number(p.value)),
            "weight": _right(fmt.percent(p.weight)),
            "target": _right(fmt.percent(p.target)),
            "drift": _right(fmt.points(drift), "bold" if outside_band else ""),
            "risk": _right(fmt.percent(p.risk_contribution) if p.in_portfolio else "-"),
            "currency": Text(p.currency),
            "exchange": Text(p.exchange),
        }

    def _fill(self, positions: list[PositionRow], rows: list[dict[str, Text]]) -> None:
        table = self.query_one("#positions", DataTable)
        widths = self._fitting(rows)
        keys = tuple(widths)
        cursor = table.cursor_row
        self._set_columns(widths)
        for p, cells in zip(positions, rows, strict=True):
            table.add_row(*(cells[key] for key in keys), key=p.symbol)
        if 0 < cursor < table.row_count:
            table.move_cursor(row=cursor)

    def show_account(self, snapshot: AccountSnapshot, cash_flow: float = 0.0) -> bool:
        """The holdings, NAV and cash of ``snapshot`` while the targets are computed (their
        cells say ``...``); False when the snapshot cannot be valued yet."""
        valued = account_rows(snapshot, self.app.session.portfolio.assets, cash_flow)
        if valued is None:
            return False
        positions, nav, cash = valued
        kinds = dict(snapshot.quote_kinds)
        rows = []
        for p in positions:
            cells = self._cells(p, None, "", kinds)
            cells.update({key: _right("...") for key in PENDING})
            rows.append(cells)
        self._fill(positions, rows)
        ccy = snapshot.base_currency
        self.query_one("#totals", Static).update(
            Text(f"NAV {fmt.money(nav, ccy)}   Cash {fmt.money(cash, ccy)}\nComputing targets...")
        )
        self.loading = f"as of {snapshot.as_of[:10]}, computing targets"
        self.update_status()
        return True

    def show_plan(self, plan: Plan) -> None:
        """Fill the table, totals, alerts, notes and rules from ``plan``."""
        self.error, self.loading = None, DashboardScreen.loading
        warn = self._warning_style()
        positions = list(plan.positions)
        self._fill(positions, [self._cells(p, plan, warn) for p in positions])
        totals = Text()
        for line in totals_lines(plan):
            withheld = bool(plan.withheld) and line.endswith(plan.withheld)
            totals.append(("\n" if totals else "") + line, warn if withheld else "")
        self.query_one("#totals", Static).update(totals)
        alerts = access_alerts(safe_access(self.app.broker))
        if plan.blocked:
            alerts.append(blocked_text(plan))
        self._show("#alerts", alerts)
        self._show("#notes", note_lines(plan))
        self._show_rules(plan)
        self.update_status()

    def _show(self, selector: str, lines: list[str]) -> None:
        widget = self.query_one(selector, Static)
        widget.update(Text("\n".join(lines)))
        widget.display = bool(lines)

    def _show_rules(self, plan: Plan | None = None) -> None:
        """The allocation rules, the rebalancing policy (compact at 80 columns) and the
        schedule, when ``[schedule]`` is in use."""
        session = self.app.session
        policy = plan.policy if plan is not None else session.portfolio.rebalancing
        currency = session.portfolio.base_currency
        lines = [rules_text(session), policy_text(policy, currency, self.wide)]
        schedule = self.schedule_lines[1 if self.wide else 0]
        if schedule:
            lines.append(schedule)
        self.query_one("#rules", Static).update(Text("\n".join(lines)))

    def show_schedule(self, compact: str, wide: str) -> None:
        """The schedule line (compact and wide forms), computed by a worker."""
        self.schedule_lines = (compact, wide)
        self._show_rules(self.app.plan)

    def show_error(self, message: str) -> None:
        """Empty the table (its numbers would be stale), flag the status line and show
        ``message`` in full below it."""
        self.error, self.loading = message, DashboardScreen.loading
        self.query_one("#positions", DataTable).clear()
        self.query_one("#alerts").display = False
        self.query_one("#notes").display = False
        self.update_status()
        self.query_one("#totals", Static).update(
            Text(f"Could not build the plan:\n{message}\n\n{RETRY_NOTE}")
        )

    def show_busy(self, message: str) -> None:
        """A transient note in the totals area (e.g. while orders are sent)."""
        self.query_one("#totals", Static).update(Text(message))
