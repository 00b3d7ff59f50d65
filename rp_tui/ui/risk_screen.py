"""The risk screen: contributions of each asset now and at target, diversification,
VaR / CVaR three ways, and a correlation heatmap."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from rp_tui.errors import UserError
from rp_tui.services.child_process import ChildProcessLost
from rp_tui.services.risk_report import RiskReport, risk_report
from rp_tui.ui import format as fmt


def heat_style(value: float) -> str:
    """Background for a correlation: red for high, blue for negative, plain near zero."""
    if value >= 0.75:
        return "white on dark_red"
    if value >= 0.5:
        return "black on orange3"
    if value >= 0.25:
        return "black on khaki3"
    if value <= -0.25:
        return "white on blue"
    return ""


class RiskScreen(Screen):
    """Risk of the account as held and of its targets (annualised, percent)."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("r", "reload", "Recompute")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Measuring risk...", id="risk-status")
        with VerticalScroll(id="risk-body"):
            yield DataTable(id="risk-assets", cursor_type="row", zebra_stripes=True)
            yield Static("", id="risk-portfolio")
            yield DataTable(id="risk-var", cursor_type="row", zebra_stripes=True)
            yield Static(Text("Correlation over the lookback"), classes="risk-heading")
            yield DataTable(id="risk-corr", cursor_type="none")
        yield Footer()

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.measure()

    @work(exclusive=True, group="risk")
    async def measure(self) -> None:
        """Build the report in the background (Monte Carlo takes a moment); dropped if the
        screen was closed meanwhile (its widgets are gone)."""
        try:
            report = await risk_report(self.app.session, self.app.broker, in_child=True)
        except (UserError, ChildProcessLost) as exc:
            if self in self.app.screen_stack:
                self.query_one("#risk-status", Static).update(Text(f"No risk report: {exc}"))
            return
        if self in self.app.screen_stack:
            self.show(report)

    def show(self, report: RiskReport) -> None:
        """Fill the tables from ``report``."""
        self.query_one("#risk-status", Static).update(
            Text(
                f"Risk as of {report.as_of}: {report.method}, lookback {report.lookback} days, "
                f"{self.app.session.portfolio.strategy.estimator} covariance"
            )
        )
        assets = self.query_one("#risk-assets", DataTable)
        assets.clear(columns=True)
        for label in ("Symbol", "Weight", "Target", "Vol", "RC now", "RC tgt", "Marginal"):
            assets.add_column(Text(label, justify="right") if label != "Symbol" else label)
        for i, symbol in enumerate(report.symbols):
            cells = (
                report.current_weights[i],
                report.target_weights[i],
                report.target.volatility[i],
                report.current.share[i],
                report.target.share[i],
                report.current.marginal[i],
            )
            assets.add_row(symbol, *(Text(fmt.percent(c), justify="right") for c in cells))
        lines = []
        for name, d in (("now", report.current), ("target", report.target)):
            lines.append(
                f"{name:>6}: volatility {fmt.percent(d.portfolio_volatility)}  "
                f"diversification ratio {fmt.ratio(d.diversification_ratio)}  "
                f"effective bets {fmt.ratio(d.effective_bets)}"
            )
        self.query_one("#risk-portfolio", Static).update(Text("\n".join(lines)))
        var = self.query_one("#risk-var", DataTable)
        var.clear(columns=True)
        for label in ("Method", "Conf.", "Horizon", "VaR", "CVaR"):
            var.add_column(label if label == "Method" else Text(label, justify="right"))
        for v in report.var:
            var.add_row(
                v.method,
                Text(f"{v.confidence:.0%}", justify="right"),
                Text(f"{v.horizon_days} d", justify="right"),
                Text(fmt.percent(v.var), justify="right"),
                Text(fmt.percent(v.cvar), justify="right"),
            )
        corr = self.query_one("#risk-corr", DataTable)
        corr.clear(columns=True)
        corr.add_column("")
        for symbol in report.symbols:
            corr.add_column(Text(symbol, justify="right"))
        for symbol, row in zip(report.symbols, report.correlation, strict=True):
            corr.add_row(
                symbol, *(Text(f"{v:+.2f}", style=heat_style(v), justify="right") for v in row)
            )
