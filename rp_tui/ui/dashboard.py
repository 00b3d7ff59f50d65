"""The dashboard: one row per asset, account totals and a status line."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from rp_tui.services import Plan, Session
from rp_tui.ui import format as fmt

# (key, label) of the positions table; numbers are right-aligned.
COLUMNS = (
    ("symbol", "Symbol"),
    ("exchange", "Exch"),
    ("currency", "Ccy"),
    ("quantity", "Qty"),
    ("price", "Price"),
    ("value", "Value"),
    ("weight", "Weight"),
    ("target", "Target"),
    ("drift", "Drift"),
    ("risk", "Risk"),
    ("data", "Data"),
)
NUMERIC = {"quantity", "price", "value", "weight", "target", "drift", "risk"}
DATA_LABELS = {
    "live": "live",
    "delayed": "delay",
    "frozen": "frozen",
    "delayed-frozen": "delay",
    "close": "close",
    "portfolio": "mark",
}

RETRY_NOTE = "Press r to retry (edits to portfolio.toml need a restart)."


def _right(text: str, style: str = "") -> Text:
    return Text(text, style=style, justify="right")


def status_text(
    session: Session,
    plan: Plan | None,
    theme: str,
    broker_kind: str,
    connection: str = "",
    state: str = "ACTIVE",
) -> str:
    """One line: broker and account (or the connection's state), price date, method,
    estimator and lookback, band, trading state when not ACTIVE, theme."""
    strategy = session.portfolio.strategy
    broker = f"{plan.broker} {plan.account}" if plan else broker_kind
    if connection and not connection.startswith("connected"):
        broker = connection  # connecting / disconnected, retrying in N s / 1100
    as_of = f"as of {plan.as_of[:10]}" if plan else "loading account"
    trading = "" if state == "ACTIVE" else f" | {state}"
    estimator = "" if strategy.estimator == "sample" else f" {strategy.estimator}"
    return (
        f"{broker} | {as_of} | {strategy.method} {strategy.lookback}d{estimator}"
        f" | band {fmt.points(strategy.band, signed=False)}{trading} | theme {theme}"
    )


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
    else:
        todo = "Every asset is within its band: nothing to trade"
    blocked = "".join(f"\nBlocked: {reason}" for reason in plan.blocked.values())
    return (
        f"NAV {fmt.money(plan.nav, ccy)}   Cash {fmt.money(plan.cash, ccy)}"
        f"   Largest |drift| {drift}\n{todo}{blocked}"
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
        Binding("d", "toggle_drift", "Drift: weight / risk", show=False),
        Binding("k", "app.trading_state", "Kill switch", show=False),
        Binding("r", "app.refresh_plan", "Refresh", show=False),
    ]
    risk_drift = False  # the Drift column: weight drift (pp) or risk-contribution drift

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="status")
        yield DataTable(id="positions", cursor_type="row", zebra_stripes=True)
        yield Static("Loading account...", id="totals")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#positions", DataTable)
        base = self.app.session.portfolio.base_currency
        for key, label in COLUMNS:
            label = f"{label} {base}" if key == "value" else label  # values in base currency
            table.add_column(_right(label) if key in NUMERIC else label, key=key)
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.update_status())
        self.update_status()
        self.app.action_refresh_plan()  # the table exists now, so the plan can land in it

    def update_status(self, error: str | None = None) -> None:
        """Redraw the status line; ``error`` (a plan that failed to build) replaces it."""
        status = self.query_one("#status", Static)
        status.set_class(error is not None, "-error")
        if error is not None:
            status.update(Text(error))
            return
        app = self.app
        plan = getattr(app, "plan", None)
        status.update(
            Text(
                status_text(
                    app.session,
                    plan,
                    app.theme,
                    app.broker.kind,
                    app.connection,
                    app.trading_state_name(),
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

    def show_plan(self, plan: Plan) -> None:
        """Fill the table and totals from ``plan``."""
        table = self.query_one("#positions", DataTable)
        table.clear()
        for p in plan.positions:
            out_of_band = abs(p.drift) > plan.band
            drift = p.risk_drift if self.risk_drift else p.drift
            kind = plan.quote_kinds.get(p.symbol, "")
            data = Text(
                DATA_LABELS.get(kind, kind), style="bold red" if p.symbol in plan.blocked else ""
            )
            table.add_row(
                Text(p.symbol),
                Text(p.exchange),
                Text(p.currency),
                _right(fmt.quantity(p.quantity)),
                _right(fmt.number(p.price)),
                _right(fmt.number(p.value)),
                _right(fmt.percent(p.weight)),
                _right(fmt.percent(p.target)),
                _right(fmt.points(drift), "bold" if out_of_band else ""),
                _right(fmt.percent(p.risk_contribution)),
                data,
                key=p.symbol,
            )
        self.query_one("#totals", Static).update(
            Text(f"{totals_text(plan)}\n{rules_text(self.app.session)}")
        )
        self.update_status()

    def show_error(self, message: str) -> None:
        """Empty the table (its numbers would be stale), flag the status line and show
        ``message`` in full below it."""
        self.query_one("#positions", DataTable).clear()
        self.update_status(error=f"No plan: {message}")
        self.query_one("#totals", Static).update(
            Text(f"Could not build the plan:\n{message}\n\n{RETRY_NOTE}")
        )

    def show_busy(self, message: str) -> None:
        """A transient note in the totals area (e.g. while orders are sent)."""
        self.query_one("#totals", Static).update(Text(message))
