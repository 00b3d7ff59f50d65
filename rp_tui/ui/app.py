"""The Textual application: wires the screens, the workers and the keys; the broker's
connection, portfolio.toml, the kill switch and the palette each have their own module."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel

from rp_tui.broker.base import Broker
from rp_tui.errors import UserError
from rp_tui.services.session import Session
from rp_tui.ui import format as fmt
from rp_tui.ui.broker_status import BrokerStatus
from rp_tui.ui.dashboard import DashboardScreen
from rp_tui.ui.dashboard_text import safe_access
from rp_tui.ui.portfolio_dialogue import PortfolioDialogue
from rp_tui.ui.themes import choose_theme, load_themes, next_theme

if TYPE_CHECKING:
    from rp_tui.inputs.portfolio_edit import PortfolioFile
    from rp_tui.services.plan_records import Plan

PAINT_WAIT = 0.5  # seconds the plan waits for the account view to paint, at most

# The first screen needs only the dashboard: every other screen, the plan (numpy, scipy)
# and the schedule (pandas, exchange calendars) are imported when first used, after the
# frame has painted (tests/ui/test_startup.py, benchmarks/bench_startup.py).


class RpTuiApp(App[None]):
    """rp-tui: dashboard of a risk-parity portfolio, order preview and confirmation,
    and a backtest of the configured strategy.

    Args:
        session: the validated portfolio, price history and fee table.
        broker: where the account state comes from and confirmed orders go.
        theme_dirs: folders of ``*.toml`` themes; default
            :func:`rp_tui.ui.themes.theme_dirs` (tests inject their own).
    """

    CSS_PATH = "app.tcss"
    TITLE = "rp-tui"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("t", "cycle_theme", "Theme", show=False),  # listed by ?, not the footer
        Binding("question_mark", "help", "Help"),
    ]

    def __init__(
        self, session: Session, broker: Broker, theme_dirs: Sequence[Path] | None = None
    ) -> None:
        super().__init__()
        self.session, self.broker = session, broker
        self.portfolio_dialogue = PortfolioDialogue(self, session.portfolio.path)
        self.broker_status = BrokerStatus(self)
        self.broker_status.attach()
        self.plan: Plan | None = None
        self.plan_error: str | None = None
        self.executing = False  # orders in flight: no refresh, no new preview
        self._frozen = False  # start-up objects left out of garbage collection (see below)
        self.cash_flow = 0.0  # the deposit (> 0) or withdrawal (< 0) plans are sized for
        self.clock: Callable[[], datetime] | None = None  # the schedule's "now" (tests fix it)
        found = load_themes(theme_dirs)
        for theme in found.themes.values():
            self.register_theme(theme)
        self.theme_names: list[str] = list(found.themes)
        self.theme_problems: list[str] = list(found.problems)
        name, problem = choose_theme(
            session.portfolio.theme, list(self.available_themes), self.theme_names
        )
        if problem:
            self.theme_problems.append(problem)
        self.theme = name
        self.retitle()

    @property
    def portfolio_file(self) -> PortfolioFile:
        """The edited ``portfolio.toml`` (edits, undo, saves)."""
        return self.portfolio_dialogue.file

    @property
    def connection(self) -> str:
        """The broker's last status line (IBKR), shown first on the dashboard."""
        return self.broker_status.connection

    @property
    def dashboard(self) -> DashboardScreen:
        """The home screen (always at the bottom of the stack)."""
        screen = self.screen_stack[0]
        assert isinstance(screen, DashboardScreen)
        return screen

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Like :meth:`App.notify`, but plain text by default: messages quote paths and
        TOML keys such as ``[broker]`` that must not be read as markup."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def get_default_screen(self) -> DashboardScreen:
        return DashboardScreen()

    def on_mount(self) -> None:
        for problem in self.theme_problems:
            self.notify(problem, title="Theme", severity="warning", timeout=10)
        self.set_interval(2.0, self.portfolio_dialogue.watch_file)
        # the theme shows in the header; the palette's "Change theme" changes it too
        self.theme_changed_signal.subscribe(self, lambda _theme: self.retitle())

    def on_unmount(self) -> None:
        """Close the broker's connection (IBKR), whichever way the app ends."""
        self.broker_status.close()
        if self._frozen:  # what start-up froze may be collected again (tests run many apps)
            gc.unfreeze()

    def _freeze_start_up(self) -> None:
        """Once, when the first plan (or its error) is on screen: leave every object alive
        now (modules, the dashboard, the session) out of later garbage collections. A full
        collection scans every object it tracks; with these ~120,000 it held the event loop
        80-110 ms (gc.callbacks, measured when backtest results first painted), a stall
        whenever it came. Objects freed by reference counting are freed as before."""
        if not self._frozen:
            gc.freeze()
            self._frozen = True

    def retitle(self) -> None:
        """The header's subtitle: the portfolio file (modified?), broker and theme."""
        mark = " (modified)" if self.portfolio_file.dirty else ""
        self.sub_title = (
            f"{self.session.portfolio.path.name}{mark}, {self.broker.kind}, {self.theme}"
        )

    def get_system_commands(self, screen) -> Iterable[SystemCommand]:
        """The command palette (Ctrl+P): Textual's own commands plus the app's actions."""
        from rp_tui.ui.palette import palette_commands

        return palette_commands(self, super().get_system_commands(screen))

    # -- plan and execution ------------------------------------------------------------

    async def _load_plan(self) -> None:
        """Snapshot the account and show it at once (holdings, NAV, cash) when no plan is
        on screen; meanwhile a thread imports the planning code (numpy, scipy: a fraction
        of a second); then the targets, drift and orders."""
        try:
            snapshot = await self.broker.snapshot()
            if self.plan is None and self.dashboard.show_account(snapshot, self.cash_flow):
                await self._painted()
            await asyncio.to_thread(import_module, "rp_tui.services.plan")
            from rp_tui.services.plan import build_plan

            plan = await build_plan(
                self.session, self.broker, cash_flow=self.cash_flow, snapshot=snapshot
            )
        except UserError as exc:
            self.plan, self.plan_error = None, str(exc)
            self.dashboard.show_error(str(exc))
            self.broker_status.plan_failed(str(exc))
            self._freeze_start_up()
            return
        self.plan, self.plan_error = plan, None
        self.dashboard.show_plan(plan)
        self.broker_status.plan_loaded()
        self._freeze_start_up()
        if self.portfolio_file.has_table("schedule"):  # else no schedule line
            self.load_schedule()

    async def _painted(self) -> None:
        """Return once the dashboard has been repainted (what was just shown is on screen),
        or after :data:`PAINT_WAIT` seconds. Textual runs the callback after the *active*
        screen's next refresh and drops it with a screen popped first (results dismissed
        under load): the wait is a courtesy to the eye and must never hold the plan up."""
        if self.screen is not self.dashboard:
            return
        painted = asyncio.Event()
        self.call_after_refresh(painted.set)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(painted.wait(), PAINT_WAIT)

    @work(thread=True, group="schedule", exclusive=True, exit_on_error=False)
    def load_schedule(self) -> None:
        """The next and last scheduled runs (reads exchange calendars: a thread, after the
        plan is on screen)."""
        from rp_tui.services.schedule_status import schedule_status
        from rp_tui.ui.dashboard_text import schedule_text

        try:
            status = schedule_status(self.session, now=self.clock() if self.clock else None)
            lines = schedule_text(status), schedule_text(status, wide=True)
        except Exception as exc:  # a calendar that cannot say: the line says so, no crash
            lines = (f"Schedule: cannot be shown ({exc})",) * 2
        self.call_from_thread(self.dashboard.show_schedule, *lines)

    def action_refresh_plan(self) -> None:
        """Snapshot the account and size the rebalance again."""
        if self.executing:
            self.notify("Orders are being sent; the plan refreshes when they are done")
            return
        # the method, not a coroutine: a refresh replaced before it starts creates none, so
        # none is left unawaited (a RuntimeWarning when two edits land at once)
        self.run_worker(self._load_plan, group="plan", exclusive=True)

    def action_preview(self) -> None:
        """Open the order preview of the current plan."""
        if self.plan is None:
            if self.plan_error:
                why = "it could not be built (see the dashboard)"
            elif self.executing:
                why = "orders are being sent"
            else:
                why = "the account is still loading"
            self.notify(f"No plan to preview: {why}", severity="warning")
            return
        from rp_tui.ui.preview import PreviewScreen

        self.push_screen(PreviewScreen(self.plan))

    def action_cash_flow(self) -> None:
        """Ask for a deposit or a withdrawal and size the plan for it."""
        plan = self.plan
        if self.executing or plan is None:
            why = "orders are being sent" if self.executing else "the account is still loading"
            self.notify(f"No cash flow now: {why}", severity="warning")
            return
        from rp_tui.ui.cash_flow import CashFlowScreen

        def answered(amount: float | None) -> None:
            if amount is None or amount == self.cash_flow:
                return
            self.cash_flow = amount
            kind = "deposit" if amount > 0 else "withdrawal"
            money = fmt.money(abs(amount), plan.base_currency)
            self.notify(f"Planning a {kind} of {money}" if amount else "No cash flow planned")
            self.action_refresh_plan()

        nav = plan.nav - max(plan.cash_flow, 0.0)  # the plan's NAV counts a deposit
        screen = CashFlowScreen(nav, plan.base_currency, self.cash_flow, self.broker.kind)
        self.push_screen(screen, answered)

    def confirm_plan(self, plan: Plan) -> None:
        """Ask for confirmation of ``plan``; execute it only if the user says yes."""
        if not plan.orders:
            self.notify("Nothing to execute: the plan has no orders")
            return
        from rp_tui.ui.confirm import ConfirmScreen

        def answered(answer: bool | str | None) -> None:
            if answer:
                self.executing = True  # from now on: no refresh, preview or quit
                self.pop_screen()  # the preview: results show on the dashboard
                self.execute(plan, answer if isinstance(answer, str) else "")

        self.push_screen(ConfirmScreen(plan, safe_access(self.broker)), answered)

    @work(group="broker")
    async def execute(self, plan: Plan, typed_confirmation: str = "") -> None:
        """Send ``plan``'s orders, report the fills, then rebuild the plan.

        Not exclusive and not cancelled by a refresh: orders in flight must finish. A cash
        flow the plan was sized for is used up by the run (the demo books it).
        """
        from rp_tui.services.execution import execute_plan
        from rp_tui.ui.notice import NoticeScreen
        from rp_tui.ui.results import ResultsScreen

        self.executing, self.plan = True, None
        self.workers.cancel_group(self, "plan")  # a stale plan must not land afterwards
        self.dashboard.show_busy(f"Sending {len(plan.orders)} orders to {plan.broker}...")
        try:
            fills = await execute_plan(self.broker, plan, typed_confirmation=typed_confirmation)
        except UserError as exc:  # refused before sending: read-only, HALTED, a check failed
            self.push_screen(NoticeScreen("Orders not sent", str(exc)))
        else:
            self.push_screen(ResultsScreen(fills))  # its summary counts each outcome
        finally:
            self.executing, self.cash_flow = False, 0.0
        await self._load_plan()

    # -- keys and palette actions --------------------------------------------------------

    async def action_quit(self) -> None:
        """Quit, unless orders are in flight (their fills must be seen and saved) or edits
        are unsaved (asked first)."""
        if self.executing:
            self.notify("Orders are being sent; quit when they are done", severity="warning")
            return
        if self.portfolio_dialogue.may_quit(self.exit):
            await super().action_quit()

    def action_help_quit(self) -> None:
        """Ctrl+C does not quit: say which key does (Textual's own note is markup, and
        :meth:`notify` shows plain text)."""
        for key, active in self.active_bindings.items():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(f"Press {key} to quit the app", title="Do you want to quit?")
                return

    def action_reconnect(self) -> None:
        """Drop the IBKR connection and build the plan again (which reconnects)."""
        self.broker_status.reconnect()

    def action_help(self) -> None:
        """Every key, screen by screen."""
        from rp_tui.ui.help_screen import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_edit(self) -> None:
        """The targets editor: assets, budgets, bounds and rules."""
        from rp_tui.ui.editor import EditorScreen

        self.push_screen(EditorScreen())

    def action_log(self) -> None:
        """The trade log: intents, orders, statuses, fills and commissions."""
        from rp_tui.ui.log_screen import LogScreen

        self.push_screen(LogScreen())

    def action_risk(self) -> None:
        """Risk contributions, diversification, VaR / CVaR and correlations."""
        from rp_tui.ui.risk_screen import RiskScreen

        self.push_screen(RiskScreen())

    def action_backtest(self) -> None:
        """Backtest the configured strategy against equal weight."""
        from rp_tui.ui.backtest_screen import BacktestScreen

        self.push_screen(BacktestScreen(self.session))

    def action_trading_state(self) -> None:
        """Set the kill switch: ACTIVE, REDUCING (sells only) or HALTED."""
        from rp_tui.ui.kill_switch import ask_trading_state

        ask_trading_state(self)

    def action_cycle_theme(self) -> None:
        """Switch to the next theme loaded from the themes folders."""
        following = next_theme(self.theme_names, self.theme)
        self.theme = following
        self.portfolio_dialogue.remember_theme(following)  # written at the next save
        self.retitle()
        self.notify(f"Theme {following} (saved with the portfolio: e, then ctrl+s)", timeout=3)


def run_app(session: Session, broker: Broker) -> None:
    """Run the TUI until the user quits (blocks; owns the terminal meanwhile)."""
    RpTuiApp(session, broker).run()
