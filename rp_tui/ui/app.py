"""The Textual application: owns the session, the broker and the current plan."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel

from rp_tui.broker.base import Broker
from rp_tui.errors import UserError
from rp_tui.inputs.portfolio_edit import FileChangedError, PortfolioFile
from rp_tui.services.execution import execute_plan, set_trading_state, trading_state
from rp_tui.services.plan import Plan, build_plan
from rp_tui.services.session import Session, make_broker, with_portfolio
from rp_tui.ui.backtest_screen import BacktestScreen
from rp_tui.ui.choice import ChoiceScreen
from rp_tui.ui.confirm import ConfirmScreen
from rp_tui.ui.connect_failed import ConnectFailedScreen
from rp_tui.ui.dashboard import DashboardScreen, is_live
from rp_tui.ui.editor import EditorScreen
from rp_tui.ui.kill_switch import MEANING, TradingStateScreen
from rp_tui.ui.log_screen import LogScreen
from rp_tui.ui.notice import NoticeScreen
from rp_tui.ui.preview import PreviewScreen
from rp_tui.ui.results import ResultsScreen
from rp_tui.ui.risk_screen import RiskScreen
from rp_tui.ui.themes import choose_theme, load_themes

UNREACHABLE = "cannot reach TWS"


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
        self.portfolio_file = PortfolioFile(session.portfolio.path)  # edits, undo, saves
        self._asked_reload = False
        self.connection = ""  # the broker's last status line (IBKR), shown on the dashboard
        self._connected_text = ""  # the last "connected to …" line (shown again on 1101/1102)
        self._lost = False  # the connection dropped after it had been up: say so when back
        self._supervising = False
        self._watch_broker()
        self.plan: Plan | None = None
        self.plan_error: str | None = None
        self.executing = False  # orders in flight: no refresh, no new preview
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
        self.sub_title = self._subtitle()

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

    def _watch_broker(self) -> None:
        if hasattr(self.broker, "on_status"):
            self.broker.on_status = self._on_broker_status

    def _on_broker_status(self, text: str) -> None:
        """News from the broker: the connection (connecting, connected, retrying in N s,
        1100) on the status line; order statuses while orders are out, live, below the table.

        ib_async calls this inside the app's event loop, so widgets are updated directly.
        """
        if text.startswith(("BUY ", "SELL ")):
            if self.executing and self.screen_stack:
                self.dashboard.show_busy(f"Orders out: {text}")
            return
        if "restored" in text:  # 1101 / 1102: TWS reached IBKR again
            text = self._connected_text or text
        was_up = self.connection.startswith("connected")
        self.connection = text
        if text.startswith("connected"):
            self._connected_text = text
            if self._lost:
                self._lost = False
                self.notify(text[0].upper() + text[1:], title="Reconnected")
                if not self.executing and (self.plan is not None or self.plan_error):
                    self.action_refresh_plan()  # prices and positions may have moved
        elif was_up:
            self._lost = True
            where = self._connected_text.rpartition(" at ")[2]
            if text.startswith("TWS"):  # 1100: TWS is up, IBKR is not; TWS reconnects itself
                why = f"{text}: nothing can be sent until it is restored"
            else:
                why = f"TWS at {where} stopped answering; reconnecting"
            self.notify(why, title="Connection lost", severity="warning")
        if self.screen_stack and isinstance(self.screen_stack[0], DashboardScreen):
            self.dashboard.update_status()

    def trading_state_name(self) -> str:
        """The kill switch's state, or a note when its file is unreadable."""
        try:
            return trading_state()
        except UserError:
            return "unreadable"

    @property
    def dashboard(self) -> DashboardScreen:
        """The home screen (always at the bottom of the stack)."""
        screen = self.screen_stack[0]
        assert isinstance(screen, DashboardScreen)
        return screen

    def get_default_screen(self) -> DashboardScreen:
        return DashboardScreen()

    def on_mount(self) -> None:
        for problem in self.theme_problems:
            self.notify(problem, title="Theme", severity="warning", timeout=10)
        self.set_interval(2.0, self._watch_file)
        # the theme shows in the header; the palette's "Change theme" changes it too
        self.theme_changed_signal.subscribe(self, lambda _theme: self._retitle())

    def _retitle(self) -> None:
        self.sub_title = self._subtitle()

    # -- portfolio.toml ----------------------------------------------------------------

    def _watch_file(self) -> None:
        """Offer to reload portfolio.toml when another program changed it."""
        if self._asked_reload or not self.portfolio_file.changed_on_disk():
            return
        self._asked_reload = True

        def answered(choice: str | None) -> None:
            if choice != "reload":
                return  # keep ours: asked again only after the next save
            self._asked_reload = False
            try:
                self.portfolio_file.reload()
            except UserError as exc:
                self.notify(str(exc), title="Not reloaded", severity="error", timeout=10)
                return
            self.portfolio_edited()

        keep = "k", "keep mine", "keep"
        self.push_screen(
            ChoiceScreen(
                "portfolio.toml changed",
                f"{self.portfolio_file.path} changed on disk.",
                [("r", "reload it", "reload"), keep],
            ),
            answered,
        )

    def portfolio_edited(self) -> None:
        """Apply the edited portfolio: new targets, drift and orders (not saved yet)."""
        try:
            self.session = with_portfolio(self.session, self.portfolio_file.portfolio)
        except UserError as exc:  # e.g. no fee schedule or prices for that listing
            if self.portfolio_file.can_undo:
                self.portfolio_file.undo()  # nothing invalid stays in the document
            self.notify(str(exc), title="Edit undone", severity="error", timeout=10)
            if isinstance(self.screen, EditorScreen):
                self.screen.refresh_tables()
            return
        if self.broker.kind == "demo":
            self.broker = make_broker(self.session, "demo")
        else:
            self.broker.assets, self.broker.fees = self.session.portfolio.assets, self.session.fees
        self.sub_title = self._subtitle()
        self.action_refresh_plan()

    def save_portfolio(self, overwrite: bool = False) -> bool:
        """Write portfolio.toml (comments kept); ask before overwriting outside changes."""
        try:
            self.portfolio_file.save(overwrite=overwrite)
        except FileChangedError as exc:

            def answered(choice: str | None) -> None:
                if choice == "overwrite":
                    self.save_portfolio(overwrite=True)
                elif choice == "reload":
                    self.portfolio_file.reload()
                    self.portfolio_edited()

            self.push_screen(
                ChoiceScreen(
                    "Not saved",
                    str(exc),
                    [("o", "overwrite", "overwrite"), ("r", "reload theirs", "reload")],
                ),
                answered,
            )
            return False
        self._asked_reload = False
        self.sub_title = self._subtitle()
        self.notify(f"Saved {self.portfolio_file.path.name}")
        return True

    def _subtitle(self) -> str:
        mark = " (modified)" if self.portfolio_file.dirty else ""
        return f"{self.session.portfolio.path.name}{mark}, {self.broker.kind}, {self.theme}"

    def action_edit(self) -> None:
        """The targets editor: assets, budgets, bounds and rules."""
        self.push_screen(EditorScreen())

    # -- plan --------------------------------------------------------------------------

    async def _load_plan(self) -> None:
        try:
            plan = await build_plan(self.session, self.broker)
        except UserError as exc:
            self.plan, self.plan_error = None, str(exc)
            self.dashboard.show_error(str(exc))
            if UNREACHABLE in str(exc) and self.screen is self.dashboard:
                # asked only on the dashboard: results or a notice on top stay readable
                self.push_screen(ConnectFailedScreen(str(exc)), self._after_connect_failed)
            elif UNREACHABLE not in str(exc):
                self.notify(str(exc), title="Cannot build the plan", severity="error", timeout=10)
            return
        self.plan, self.plan_error = plan, None
        self.dashboard.show_plan(plan)
        if isinstance(self.screen, ConnectFailedScreen):
            self.screen.dismiss(None)  # reconnected meanwhile: the question is moot
        if hasattr(self.broker, "supervise") and not self._supervising:
            self._supervising = True  # reconnects with back-off for as long as the app runs
            self.run_worker(self.broker.supervise(), group="connection", exit_on_error=False)

    def _after_connect_failed(self, choice: str | None) -> None:
        if choice == "quit":
            self.exit()
        elif choice == "demo":
            self.use_demo()
        elif choice == "retry":
            self.action_refresh_plan()

    def _close_broker(self) -> None:
        """Close the broker's connection for good (IBKR), silently."""
        if hasattr(self.broker, "on_status"):
            self.broker.on_status = lambda _text: None  # no news from a broker we left
        getattr(self.broker, "disconnect", lambda: None)()

    def use_demo(self) -> None:
        """Leave IBKR for the built-in demo account (this session only)."""
        if self.broker.kind == "demo":
            self.notify("Already on the demo account")
            return
        self._close_broker()
        self.workers.cancel_group(self, "connection")
        self.broker = make_broker(self.session, "demo")
        self.connection, self._supervising, self._lost = "", False, False
        self.sub_title = self._subtitle()
        self.notify("Switched to the demo account")
        self.action_refresh_plan()

    def action_refresh_plan(self) -> None:
        """Snapshot the account and size the rebalance again."""
        if self.executing:
            self.notify("Orders are being sent; the plan refreshes when they are done")
            return
        self.run_worker(self._load_plan(), group="plan", exclusive=True)

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
        self.push_screen(PreviewScreen(self.plan))

    def confirm_plan(self, plan: Plan) -> None:
        """Ask for confirmation of ``plan``; execute it only if the user says yes."""
        if not plan.orders:
            self.notify("Nothing to execute: the plan has no orders")
            return
        live = is_live(plan)

        def answered(answer: bool | str | None) -> None:
            if answer:
                self.executing = True  # from now on: no refresh, preview or quit
                self.pop_screen()  # the preview: results show on the dashboard
                self.execute(plan, answer if isinstance(answer, str) else "")

        self.push_screen(ConfirmScreen(plan, typed_account=live), answered)

    @work(group="broker")
    async def execute(self, plan: Plan, typed_confirmation: str = "") -> None:
        """Send ``plan``'s orders, report the fills, then rebuild the plan.

        Not exclusive and not cancelled by a refresh: orders in flight must finish.
        """
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
            self.executing = False
        await self._load_plan()

    # -- other screens -------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Quit, unless orders are in flight (their fills must be seen and saved)."""
        if self.executing:
            self.notify("Orders are being sent; quit when they are done", severity="warning")
            return
        if self.portfolio_file.dirty:

            def answered(choice: str | None) -> None:
                if choice == "discard" or (choice == "save" and self.save_portfolio()):
                    self.exit()

            self.push_screen(
                ChoiceScreen(
                    "Unsaved changes",
                    f"{self.portfolio_file.path.name} has unsaved edits.",
                    [("s", "save and quit", "save"), ("d", "discard and quit", "discard")],
                ),
                answered,
            )
            return
        await super().action_quit()

    def on_unmount(self) -> None:
        """Close the broker's connection (IBKR), whichever way the app ends."""
        self._close_broker()

    def get_system_commands(self, screen) -> Iterable[SystemCommand]:
        """The command palette (Ctrl+P): Textual's own commands plus the app's actions."""
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Preview orders", "The orders that rebalance the account", self.action_preview
        )
        yield SystemCommand(
            "Backtest", "Replay the strategy over the price history", self.action_backtest
        )
        yield SystemCommand("Risk", "Contributions, VaR / CVaR, correlations", self.action_risk)
        yield SystemCommand(
            "Refresh the plan", "Snapshot the account again", self.action_refresh_plan
        )
        yield SystemCommand("Reconnect", "Connect to TWS / IB Gateway again", self.action_reconnect)
        yield SystemCommand(
            "Switch to the demo account", "Leave IBKR for this session", self.use_demo
        )
        yield SystemCommand("Next theme", "Cycle through the themes", self.action_cycle_theme)
        yield SystemCommand(
            "Reset the demo account", "Back to the seeded holdings", self.action_reset_demo
        )
        yield SystemCommand("Trade log", "Intents, orders, fills, commissions", self.action_log)
        yield SystemCommand("Kill switch", "ACTIVE / REDUCING / HALTED", self.action_trading_state)
        yield SystemCommand("Keys", "Every key, screen by screen", self.action_help)

    def action_reconnect(self) -> None:
        """Drop the IBKR connection and build the plan again (which reconnects)."""
        if self.broker.kind == "demo":
            self.notify("The demo account needs no connection")
            return
        self.broker.restart_connection()
        self.action_refresh_plan()

    def action_reset_demo(self) -> None:
        """Restore the seeded demo account (only while on the demo broker)."""
        if self.broker.kind != "demo":
            self.notify("Only the demo account can be reset", severity="warning")
            return
        self.broker.reset()
        self.notify("Demo account reset to its seeded holdings")
        self.action_refresh_plan()

    def action_help(self) -> None:
        """Every key, screen by screen."""
        from rp_tui.ui.help_screen import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_log(self) -> None:
        """The trade log: intents, orders, statuses, fills and commissions."""
        self.push_screen(LogScreen())

    def action_risk(self) -> None:
        """Risk contributions, diversification, VaR / CVaR and correlations."""
        self.push_screen(RiskScreen())

    def action_trading_state(self) -> None:
        """Set the kill switch: ACTIVE, REDUCING (sells only) or HALTED."""

        def chosen(state: str | None) -> None:
            if not state:
                return
            try:
                set_trading_state(state)
            except (UserError, OSError, ValueError) as exc:
                self.notify(f"Trading state not changed: {exc}", severity="error", timeout=10)
                return
            self.notify(
                f"Trading state {state}: {MEANING[state]}",
                title="Kill switch",
                severity="warning" if state != "ACTIVE" else "information",
            )
            self.dashboard.update_status()

        self.push_screen(TradingStateScreen(self.trading_state_name()), chosen)

    def action_backtest(self) -> None:
        """Backtest the configured strategy against equal weight."""
        self.push_screen(BacktestScreen(self.session))

    def action_cycle_theme(self) -> None:
        """Switch to the next theme loaded from the themes folders."""
        names = self.theme_names or [self.theme]
        position = names.index(self.theme) + 1 if self.theme in names else 0
        following = names[position % len(names)]
        self.theme = following
        with contextlib.suppress(UserError):  # remembered in portfolio.toml at the next save
            self.portfolio_file.set_value("ui", "theme", following)
        self.sub_title = self._subtitle()
        self.notify(f"Theme {following} (saved with the portfolio: e, then ctrl+s)", timeout=3)


def run_app(session: Session, broker: Broker) -> None:
    """Run the TUI until the user quits (blocks; owns the terminal meanwhile)."""
    RpTuiApp(session, broker).run()
