"""Backtest screen: runs the configured strategy in a thread, then charts and tabulates it."""

from __future__ import annotations

import threading

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import (
    DataTable,
    Footer,
    Header,
    ProgressBar,
    Static,
    TabbedContent,
    TabPane,
)
from textual.worker import get_current_worker

from rp_tui.domain.backtest import BacktestCancelled, BacktestResult
from rp_tui.errors import UserError
from rp_tui.services import BacktestOptions, BacktestReport, Session, backtest
from rp_tui.ui import format as fmt
from rp_tui.ui.plots import ValuePlot, WeightsPlot

BENCHMARK = "Equal weight"
METHOD_LABELS = {"erc": "ERC", "inverse-vol": "Inverse vol"}  # legend and column header
RESTART_NOTE = "Edits to portfolio.toml take effect when rp-tui restarts."


def stats_rows(report: BacktestReport, currency: str) -> list[tuple[str, str, str]]:
    """(metric, strategy, benchmark) cells of the stats table, already formatted."""

    def row(label: str, cell) -> tuple[str, str, str]:
        return label, cell(report.result), cell(report.benchmark)

    def stat(name: str, kind):
        return lambda r: kind(r.stats.get(name))

    def money(r: BacktestResult) -> str:
        return fmt.money(r.fees_paid, currency)

    return [
        row("CAGR", stat("cagr", fmt.percent)),
        row("Volatility (annual)", stat("volatility", fmt.percent)),
        row("Sharpe (rf 0)", stat("sharpe", fmt.ratio)),
        row("Sortino", stat("sortino", fmt.ratio)),
        row("Max drawdown", stat("max_drawdown", fmt.percent)),
        row("Calmar", stat("calmar", fmt.ratio)),
        row("Turnover (per year)", lambda r: fmt.percent(r.turnover)),
        row("Fees paid", money),
        row("Rebalances", lambda r: str(len(r.rebalance_dates))),
        row("Final value", lambda r: fmt.money(float(r.equity[-1]), currency)),
    ]


class BacktestScreen(Screen):
    """Progress while the backtest runs (Esc cancels), then three tabs: portfolio value
    against the equal-weight benchmark (base currency), target weights over time
    (percent), and performance statistics side by side."""

    BINDINGS = [
        Binding("escape", "back", "Back / cancel"),
        Binding("v", "tab('value')", "Value"),
        Binding("w", "tab('weights')", "Weights"),
        Binding("s", "tab('stats')", "Stats"),
    ]

    def __init__(self, session: Session, options: BacktestOptions | None = None) -> None:
        super().__init__()
        self.session = session
        self.options = options or BacktestOptions()
        self.report: BacktestReport | None = None
        self._cancel = threading.Event()  # read by the worker thread

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(self._describe() + ": running..."), id="bt-status")
        yield ProgressBar(total=1.0, id="bt-progress", show_eta=False)
        yield Static("", id="bt-message")
        with TabbedContent(id="bt-tabs"):
            with TabPane("Value", id="value"):
                yield ValuePlot(id="bt-value")
            with TabPane("Weights", id="weights"):
                yield WeightsPlot(id="bt-weights")
            with TabPane("Stats", id="stats"):
                yield DataTable(id="bt-stats", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def _describe(self) -> str:
        s = self.session.portfolio.strategy
        o = self.options
        method = o.method or s.method
        lookback = o.lookback or s.lookback
        rebalance = o.rebalance or s.rebalance
        return f"Backtest {method} {lookback}d, {rebalance}"

    def on_mount(self) -> None:
        self.query_one("#bt-tabs").display = False
        self.run_backtest()

    @property
    def running(self) -> bool:
        """True while the backtest thread is working."""
        return self.report is None and any(
            w.node is self and w.is_running for w in self.app.workers
        )

    @work(thread=True, exclusive=True, group="backtest")
    def run_backtest(self) -> None:
        """Worker thread: run :func:`services.backtest`, reporting back via the event loop."""
        worker = get_current_worker()
        last = -1.0

        def cancelled() -> bool:
            return self._cancel.is_set() or worker.is_cancelled

        def progress(fraction: float) -> None:
            nonlocal last
            # ~100 updates at most; none once cancelled (the screen may be gone)
            if cancelled() or (fraction - last < 0.01 and fraction < 1.0):
                return
            last = fraction
            self.app.call_from_thread(self._progress, fraction)

        try:
            report = backtest(self.session, self.options, progress, cancelled)
        except BacktestCancelled:
            return
        except UserError as exc:
            if not cancelled():
                self.app.call_from_thread(self._failed, str(exc))
            return
        if not cancelled():
            self.app.call_from_thread(self._show, report)

    def _progress(self, fraction: float) -> None:
        self.query_one("#bt-progress", ProgressBar).update(progress=fraction)

    def _failed(self, message: str) -> None:
        self.query_one("#bt-progress").display = False
        status = self.query_one("#bt-status", Static)
        status.add_class("-error")
        status.update(Text(f"{self._describe()}: failed"))
        note = self.query_one("#bt-message", Static)
        note.display = True
        note.update(Text(f"Backtest failed:\n{message}\n\n{RESTART_NOTE}"))
        self.app.notify("Backtest failed (details on screen)", severity="error")

    def _show(self, report: BacktestReport) -> None:
        self.report = report
        currency = self.session.portfolio.base_currency
        r = report.result
        self.query_one("#bt-progress").display = False
        self.query_one("#bt-status", Static).update(
            Text(f"{self._describe()}: {r.dates[0]} to {r.dates[-1]}, {currency}")
        )
        self.query_one("#bt-tabs").display = True
        label = METHOD_LABELS.get(report.method, report.method)
        self.query_one(ValuePlot).show(
            r.dates,
            {label: r.equity, BENCHMARK: report.benchmark.equity},
            f"Portfolio value, {currency}",
        )
        self.query_one(WeightsPlot).show(r.rebalance_dates, report.symbols, r.target_weights)
        table = self.query_one("#bt-stats", DataTable)
        table.clear(columns=True)
        table.add_column("Metric", key="metric")
        table.add_column(Text(label, justify="right"), key="strategy")
        table.add_column(Text(BENCHMARK, justify="right"), key="benchmark")
        for metric, mine, theirs in stats_rows(report, currency):
            table.add_row(
                Text(metric), Text(mine, justify="right"), Text(theirs, justify="right"), key=metric
            )

    def action_tab(self, tab: str) -> None:
        """Show the ``value``, ``weights`` or ``stats`` tab."""
        if self.report is not None:
            self.query_one(TabbedContent).active = tab

    def action_back(self) -> None:
        """Cancel a running backtest, then return to the dashboard."""
        if self.running:
            self._cancel.set()
            self.app.notify("Backtest cancelled")
        self.app.pop_screen()
