"""Backtest screen: runs the configured strategy in a child process (a thread waits for it),
then charts and tabulates it."""

from __future__ import annotations

import re
import threading

import numpy as np
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
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

from rp_tui.domain.metrics import drawdown, monthly_return_table, period_returns, rolling_volatility
from rp_tui.domain.replay import BacktestCancelled, BacktestResult
from rp_tui.errors import UserError
from rp_tui.services.backtest import BacktestOptions, BacktestReport, backtest
from rp_tui.services.child_process import ChildProcessLost, run_in_child
from rp_tui.services.session import Session
from rp_tui.ui import format as fmt
from rp_tui.ui.notice import NoticeScreen
from rp_tui.ui.plots import BarsPlot, LinesPlot, ValuePlot, WeightsPlot

BENCHMARK = "Equal weight"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def return_style(value: float) -> str:
    """Heatmap cell style of a monthly return: green up, red down, strong beyond ±3 %."""
    if value != value:
        return ""
    if value >= 0.03:
        return "black on green3"
    if value <= -0.03:
        return "white on red3"
    return "green" if value >= 0 else "red"


METHOD_LABELS = {"erc": "ERC", "inverse-vol": "Inverse vol"}  # legend and column header
RESTART_NOTE = "Edits to portfolio.toml take effect when rp-tui restarts."


def data_notes(report: BacktestReport, broker_kind: str = "demo", own_prices: bool = False):
    """``(label, text)`` of what the backtest ran on: the prices (and, with IBKR or Alpaca,
    that they are not the broker's history), what those prices leave out, the fees."""
    notes = [("Prices", report.data_source or "the session's price history")]
    if broker_kind in ("ibkr", "alpaca") and not own_prices:
        name = "IBKR" if broker_kind == "ibkr" else "Alpaca"
        notes.append(("Not", f"{name}'s history: the backtest ran on these prices"))
    if report.data_note:
        notes.append(("Caveat", report.data_note))
    if report.fee_note:
        notes.append(("Fees", report.fee_note))
    return notes


def short_note(label: str, text: str) -> str:
    """A note as the stats tab shows it beside the table: the fees' first sentence, the
    prices without their licence."""
    if label == "Fees":
        head, dot, rest = text.partition(". ")
        return head + "." if dot and rest else text
    return re.sub(r",? \(?(from|see) .*$", "", text) if label == "Prices" else text


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
        row("Trades", lambda r: str(len(r.trades.quantities))),
        row("Best month", lambda r: fmt.percent(report.stats(r)["best_month"])),
        row("Worst month", lambda r: fmt.percent(report.stats(r)["worst_month"])),
        row("Positive months", lambda r: fmt.percent(report.stats(r)["positive_months"], 0)),
        row(
            "Avg drift at rebalance",
            lambda r: fmt.points(report.stats(r)["average_drift_at_rebalance"], signed=False),
        ),
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
        Binding("m", "tab('monthly')", "Monthly"),
        Binding("s", "tab('stats')", "Stats"),
        Binding("g", "log_scale", "Log scale"),
        Binding("p", "tab('prices')", "Prices", show=False),
        Binding("d", "tab('drawdown')", "Drawdown", show=False),
        Binding("a", "tab('annual')", "Annual", show=False),
        Binding("o", "tab('vol')", "Rolling vol", show=False),
        Binding("f", "notes", "Prices & fees", show=False),
    ]
    DEFAULT_CSS = """
    #bt-stats-row { height: 1fr; }
    #bt-stats-row #bt-stats { width: auto; max-width: 70%; }
    #bt-notes { width: 1fr; height: 100%; overflow-y: auto; padding: 0 1; color: $text-muted; }
    """

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
            with TabPane("Prices", id="prices"):
                yield LinesPlot("ratio", id="bt-prices")
            with TabPane("Weights", id="weights"):
                yield WeightsPlot(id="bt-weights")
            with TabPane("DD", id="drawdown"):
                yield LinesPlot("percent", id="bt-drawdown")
            with TabPane("Monthly", id="monthly"):
                yield DataTable(id="bt-monthly", cursor_type="none")
            with TabPane("Annual", id="annual"):
                yield BarsPlot(id="bt-annual")
            with TabPane("Vol", id="vol"):
                yield LinesPlot("percent", id="bt-vol")
            with TabPane("Stats", id="stats"), Horizontal(id="bt-stats-row"):
                yield DataTable(id="bt-stats", cursor_type="row", zebra_stripes=True)
                yield Static("", id="bt-notes")
        yield Footer()

    def _describe(self) -> str:
        s = self.session.portfolio.strategy
        o = self.options
        method = o.method or s.method
        lookback = o.lookback or s.lookback
        rebalance = o.policy.frequency or self.session.portfolio.rebalancing.frequency
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
        """Worker thread: run :func:`rp_tui.services.backtest.backtest` in a child process
        (:mod:`rp_tui.services.child_process`: a backtest in this process would take the
        interpreter lock from the event loop), reporting back through the event loop."""
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
            report = run_in_child(backtest, (self.session, self.options), progress, cancelled)
        except BacktestCancelled:
            return
        except (UserError, ChildProcessLost) as exc:
            if not cancelled():
                self.app.call_from_thread(self._failed, str(exc))
            return
        if not cancelled():
            self.app.call_from_thread(self._show, report)

    # The worker's three callbacks, run on the event loop. Each returns at once if the screen
    # was closed meanwhile (the worker's check of ``cancelled`` can pass just before escape):
    # a closed screen's widgets are gone.

    def _progress(self, fraction: float) -> None:
        if self in self.app.screen_stack:
            self.query_one("#bt-progress", ProgressBar).update(progress=fraction)

    def _failed(self, message: str) -> None:
        if self not in self.app.screen_stack:
            return
        self.query_one("#bt-progress").display = False
        status = self.query_one("#bt-status", Static)
        status.add_class("-error")
        status.update(Text(f"{self._describe()}: failed"))
        note = self.query_one("#bt-message", Static)
        note.display = True
        note.update(Text(f"Backtest failed:\n{message}\n\n{RESTART_NOTE}"))
        self.app.notify("Backtest failed (details on screen)", severity="error")

    def _show(self, report: BacktestReport) -> None:
        if self not in self.app.screen_stack:
            return
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
        history = self.session.history
        start = int(np.searchsorted(history.dates, r.dates[0]))
        window = history.closes[start : start + len(r.dates)]
        self.query_one("#bt-prices", LinesPlot).show(
            r.dates,
            dict(zip(report.symbols, (window / window[0]).T, strict=True)),
            "Asset prices, normalised to 1",
        )
        self.query_one("#bt-drawdown", LinesPlot).show(
            r.dates,
            {label: drawdown(r.growth), BENCHMARK: drawdown(report.benchmark.growth)},
            "Drawdown from the running peak",
        )
        self.query_one("#bt-vol", LinesPlot).show(
            r.dates, {label: rolling_volatility(r.growth)}, "Rolling 63-day volatility"
        )
        years, annual = period_returns(r.dates, r.growth, "Y")
        self.query_one(BarsPlot).show([str(y) for y in years], annual, "Annual returns")
        self._monthly(r)
        self._notes(report)
        self.app.notify(f"Backtest finished: CAGR {fmt.percent(r.stats['cagr'])}", timeout=4)
        table = self.query_one("#bt-stats", DataTable)
        table.clear(columns=True)
        table.add_column("Metric", key="metric")
        table.add_column(Text(label, justify="right"), key="strategy")
        table.add_column(Text(BENCHMARK, justify="right"), key="benchmark")
        for metric, mine, theirs in stats_rows(report, currency):
            table.add_row(
                Text(metric), Text(mine, justify="right"), Text(theirs, justify="right"), key=metric
            )

    @property
    def notes(self) -> list[tuple[str, str]]:
        """What the shown backtest ran on (:func:`data_notes`); empty before it ends."""
        if self.report is None:
            return []
        kind = getattr(self.app.broker, "kind", "demo")
        return data_notes(self.report, kind, self.session.prices_path is not None)

    def _notes(self, report: BacktestReport) -> None:
        """Beside the statistics: the prices, their caveat, the fees (first sentence; ``f``
        shows every note in full)."""
        text = Text()
        for label, note in self.notes:
            text.append(f"{label}: " if label != "Not" else "Not ", style="bold")
            text.append(short_note(label, note) + "\n")
        text.append("f: in full", style="bold")
        self.query_one("#bt-notes", Static).update(text)

    def action_notes(self) -> None:
        """Every note on the prices and fees, in full."""
        if self.report is not None:
            body = "\n\n".join(
                f"{label}: {note}" if label != "Not" else f"Not {note}"
                for label, note in self.notes
            )
            self.app.push_screen(NoticeScreen("What this backtest ran on", body))

    def _monthly(self, r: BacktestResult) -> None:
        """Monthly returns, a row per year, cells coloured by sign and size."""
        years, table_values = monthly_return_table(r.dates, r.growth)
        table = self.query_one("#bt-monthly", DataTable)
        table.clear(columns=True)
        table.add_column("Year")
        for month in MONTHS:
            table.add_column(Text(month, justify="right"))
        for year, row in zip(years, table_values, strict=True):
            cells = (
                Text("" if v != v else f"{v * 100:+.1f}", justify="right", style=return_style(v))
                for v in row
            )
            table.add_row(str(year), *cells)

    def action_log_scale(self) -> None:
        """Switch the value chart between linear and log scale."""
        if self.report is not None:
            self.query_one(ValuePlot).toggle_log()
            self.action_tab("value")

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
