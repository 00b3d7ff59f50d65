"""The dashboard: one row per asset, account totals and a status line."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from rp_tui.inputs.portfolio import Rebalancing
from rp_tui.services.plan_records import Plan, PositionRow
from rp_tui.services.session import Session
from rp_tui.ui import format as fmt
from rp_tui.ui.kill_switch import trading_state_name

# (key, label) of the positions table; numbers are right-aligned. What matters fits 80
# columns (up to Risk and the currency); the exchange scrolls into view on the right.
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


def is_live(plan: Plan) -> bool:
    """An IBKR account that is not a paper (``DU…``) account: orders move real money."""
    return plan.broker == "ibkr" and not plan.account.upper().startswith("DU")


def connection_lost(connection: str) -> bool:
    """Whether the broker's last status line means no usable connection (connecting,
    disconnected and retrying, TWS cut off from IBKR)."""
    return bool(connection) and not connection.startswith("connected")


def status_text(
    session: Session,
    plan: Plan | None,
    broker_kind: str,
    connection: str = "",
    state: str = "ACTIVE",
    failed: bool = False,
) -> str:
    """One line: the connection (IBKR: the broker's own words, with host:port) or broker
    and account, the trading state, price date, method, estimator and lookback, band.
    Least important last: a narrow terminal cuts the tail (the rules line repeats it)."""
    strategy = session.portfolio.strategy
    broker = connection or (f"{plan.broker} {plan.account}" if plan else broker_kind)
    if plan and is_live(plan):
        broker = f"LIVE {broker}"  # real money: say so where the eye goes first
    as_of = f"as of {plan.as_of[:10]}" if plan else "no plan" if failed else "loading account"
    estimator = "" if strategy.estimator == "sample" else f" {strategy.estimator}"
    return (
        f"{broker} | {state} | {as_of} | {strategy.method} {strategy.lookback}d{estimator}"
        f" | band {band_text(session.portfolio.rebalancing)}"
    )


def band_text(policy: Rebalancing) -> str:
    """The drift band in words: ``1.00 pp`` (absolute) or ``±20% of target`` (relative)."""
    if policy.band_kind == "relative":
        return f"±{fmt.percent(policy.band, 0)} of target"
    return fmt.points(policy.band, signed=False)


def out_of_band(position: PositionRow, plan: Plan) -> bool:
    """Whether ``position`` drifted past the plan's band (absolute or relative)."""
    band = plan.band * position.target if plan.policy.band_kind == "relative" else plan.band
    return abs(position.drift) > band


def totals_text(plan: Plan) -> str:
    """NAV, cash, the largest absolute drift (and its asset), and what the plan would do."""
    ccy = plan.base_currency
    worst = max(plan.positions, key=lambda p: abs(p.drift), default=None)
    drift = fmt.points(plan.max_abs_drift, signed=False)
    if worst is not None:
        drift += f" ({worst.symbol})"
    orders = len(plan.orders)
    if orders:
        todo = f"{orders} order{'s' if orders != 1 else ''} to rebalance: p to preview"
    elif plan.withheld:
        todo = f"No orders: {plan.withheld}"
    else:
        todo = "Every asset is within its band: nothing to trade"
    return (
        f"NAV {fmt.money(plan.nav, ccy)}   Cash {fmt.money(plan.cash, ccy)}"
        f"   Largest |drift| {drift}\n{todo}"
    )


def blocked_text(plan: Plan) -> str:
    """One line per symbol whose orders are blocked, with the broker's reason."""
    return "\n".join(
        f"Blocked {symbol}: {reason.removeprefix(f'{symbol}: ')}"
        for symbol, reason in plan.blocked.items()
    )


def rules_text(session: Session) -> str:
    """The allocation inputs in one line: method, estimator, lookback, budgets, bounds,
    asset-class groups and the volatility target (edited with ``e``)."""
    p = session.portfolio
    s = p.strategy
    budgets = [a for a in p.assets if a.budget is not None]
    budget_text = "equal" if not budgets else " ".join(f"{a.symbol} {a.budget:g}" for a in budgets)
    bounds = [
        f"{a.symbol} {a.min_weight:.0%}-{a.max_weight:.0%}"
        for a in p.assets
        if a.min_weight > 0 or a.max_weight < 1
    ]
    groups = [f"{name} {lo:.0%}" + (f"-{hi:.0%}" if hi != lo else "") for name, lo, hi in p.groups]
    target = f"; vol target {s.target_volatility:.0%}" if s.target_volatility else ""
    return (
        f"Rules: {s.method}, {s.estimator} covariance, {s.lookback}d; budgets {budget_text};"
        f" bounds {', '.join(bounds) or 'none'}; classes {', '.join(groups) or 'none'}"
        f"{target}"
    )


class DashboardScreen(Screen):
    """Positions, target weights and drift of the account; the app's home screen.

    Money in each row's currency (value in the base currency, named in the header);
    weight, target and risk contribution in percent of NAV / of portfolio variance;
    drift in signed percentage points.
    """

    BINDINGS = [  # the footer shows the everyday keys; ? lists them all
        Binding("p", "app.preview", "Preview"),
        Binding("b", "app.backtest", "Backtest"),
        Binding("v", "app.risk", "Risk"),
        Binding("l", "app.log", "Log"),
        Binding("e", "app.edit", "Edit"),
        Binding("k", "app.trading_state", "Kill switch"),
        Binding("d", "toggle_drift", "Drift: weight / risk", show=False),
        Binding("r", "app.refresh_plan", "Refresh", show=False),
    ]
    risk_drift = False  # the Drift column: weight drift (pp) or risk-contribution drift
    error: str | None = None  # why the last plan could not be built

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="status")
        yield DataTable(id="positions", cursor_type="row", zebra_stripes=True)
        yield Static("Loading account...", id="totals")
        yield Static("", id="blocked")
        # Ctrl+P still opens the palette (and ? lists it): its footer slot goes to the keys.
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one("#positions", DataTable)
        base = self.app.session.portfolio.base_currency
        for key, label in COLUMNS:
            label = f"{label} {base}" if key == "value" else label  # values in base currency
            table.add_column(_right(label) if key in NUMERIC else label, key=key)
        self.query_one("#blocked").display = False
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._restyle())
        self.update_status()
        self.app.action_refresh_plan()  # the table exists now, so the plan can land in it

    def update_status(self) -> None:
        """Redraw the status line: a lost connection (warning colour) first, else why the
        plan failed (error colour), else broker, account, trading state and rules."""
        app = self.app
        status = self.query_one("#status", Static)
        lost = connection_lost(app.connection)
        state = trading_state_name()
        status.set_class(self.error is not None and not lost, "-error")
        status.set_class(lost or state != "ACTIVE", "-warning")
        if self.error is not None and not lost:
            status.update(Text(f"No plan: {self.error}"))
            return
        plan = getattr(app, "plan", None)
        status.update(
            Text(
                status_text(
                    app.session,
                    plan,
                    app.broker.kind,
                    app.connection,
                    state,
                    failed=self.error is not None,
                )
            )
        )

    def action_toggle_drift(self) -> None:
        """Show drift in weight (percentage points of NAV) or in risk contribution."""
        self.risk_drift = not self.risk_drift
        table = self.query_one("#positions", DataTable)
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

    def show_plan(self, plan: Plan) -> None:
        """Fill the table, totals and blocked symbols from ``plan``."""
        self.error = None
        warn = self._warning_style()
        table = self.query_one("#positions", DataTable)
        table.clear()
        for p in plan.positions:
            outside = out_of_band(p, plan)
            drift = p.risk_drift if self.risk_drift else p.drift
            kind = plan.quote_kinds.get(p.symbol, "")
            blocked = warn if p.symbol in plan.blocked else ""
            cells = {
                "symbol": Text(p.symbol, style=blocked),
                "quantity": _right(fmt.quantity(p.quantity)),
                "price": _right(fmt.number(p.price)),
                "data": Text(DATA_LABELS.get(kind, kind), style=blocked),
                "value": _right(fmt.number(p.value)),
                "weight": _right(fmt.percent(p.weight)),
                "target": _right(fmt.percent(p.target)),
                "drift": _right(fmt.points(drift), "bold" if outside else ""),
                "risk": _right(fmt.percent(p.risk_contribution)),
                "currency": Text(p.currency),
                "exchange": Text(p.exchange),
            }
            table.add_row(*(cells[key] for key, _ in COLUMNS), key=p.symbol)
        self.query_one("#totals", Static).update(
            Text(f"{totals_text(plan)}\n{rules_text(self.app.session)}")
        )
        blocked_line = self.query_one("#blocked", Static)
        blocked_line.update(Text(blocked_text(plan)))
        blocked_line.display = bool(plan.blocked)
        self.update_status()

    def show_error(self, message: str) -> None:
        """Empty the table (its numbers would be stale), flag the status line and show
        ``message`` in full below it."""
        self.error = message
        self.query_one("#positions", DataTable).clear()
        self.query_one("#blocked").display = False
        self.update_status()
        self.query_one("#totals", Static).update(
            Text(f"Could not build the plan:\n{message}\n\n{RETRY_NOTE}")
        )

    def show_busy(self, message: str) -> None:
        """A transient note in the totals area (e.g. while orders are sent)."""
        self.query_one("#totals", Static).update(Text(message))
