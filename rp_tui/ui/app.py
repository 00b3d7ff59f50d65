"""The Textual application: owns the session, the broker and the current plan."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.notifications import SeverityLevel

from rp_tui.broker.base import Broker, Fill
from rp_tui.errors import UserError
from rp_tui.services import Plan, Session, build_plan, execute_plan
from rp_tui.ui.backtest_screen import BacktestScreen
from rp_tui.ui.confirm import ConfirmScreen
from rp_tui.ui.dashboard import DashboardScreen
from rp_tui.ui.preview import PreviewScreen
from rp_tui.ui.themes import choose_theme, load_themes


def fills_message(fills: Sequence[Fill]) -> tuple[str, str]:
    """A notification (text, severity) summarising the broker's answer to the orders."""
    filled = [f for f in fills if f.status != "rejected"]
    rejected = [f for f in fills if f.status == "rejected"]
    text = f"{len(filled)} order{'s' if len(filled) != 1 else ''} filled"
    if not rejected:
        return text, "information"
    reasons = "; ".join(f"{f.side} {f.symbol}: {f.message or 'no reason given'}" for f in rejected)
    return f"{text}, {len(rejected)} rejected ({reasons})", "warning"


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
        Binding("t", "cycle_theme", "Theme"),
    ]

    def __init__(
        self, session: Session, broker: Broker, theme_dirs: Sequence[Path] | None = None
    ) -> None:
        super().__init__()
        self.session, self.broker = session, broker
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
        self.sub_title = f"{session.portfolio.path.name}, {broker.kind}"

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

    # -- plan --------------------------------------------------------------------------

    async def _load_plan(self) -> None:
        try:
            plan = await build_plan(self.session, self.broker)
        except UserError as exc:
            self.plan, self.plan_error = None, str(exc)
            self.notify(str(exc), title="Cannot build the plan", severity="error", timeout=10)
            self.dashboard.show_error(str(exc))
            return
        self.plan, self.plan_error = plan, None
        self.dashboard.show_plan(plan)

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
        settings = self.session.portfolio.broker
        if self.broker.kind != "demo" and settings.read_only:
            self.notify(
                "broker.read_only = true in portfolio.toml: set it to false to trade",
                severity="warning",
                timeout=10,
            )
            return

        def answered(execute: bool | None) -> None:
            if execute:
                self.executing = True  # from now on: no refresh, preview or quit
                self.pop_screen()  # the preview: results show on the dashboard
                self.execute(plan)

        self.push_screen(ConfirmScreen(plan), answered)

    @work(group="broker")
    async def execute(self, plan: Plan) -> None:
        """Send ``plan``'s orders, report the fills, then rebuild the plan.

        Not exclusive and not cancelled by a refresh: orders in flight must finish.
        """
        self.executing, self.plan = True, None
        self.workers.cancel_group(self, "plan")  # a stale plan must not land afterwards
        self.dashboard.show_busy(f"Sending {len(plan.orders)} orders to {plan.broker}...")
        try:
            fills = await execute_plan(self.broker, plan)
        except UserError as exc:
            self.notify(str(exc), title="Orders not sent", severity="error", timeout=10)
        else:
            text, severity = fills_message(fills)
            self.notify(text, title="Orders executed", severity=severity, timeout=10)
        finally:
            self.executing = False
        await self._load_plan()

    # -- other screens -------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Quit, unless orders are in flight (their fills must be seen and saved)."""
        if self.executing:
            self.notify("Orders are being sent; quit when they are done", severity="warning")
            return
        await super().action_quit()

    def action_backtest(self) -> None:
        """Backtest the configured strategy against equal weight."""
        self.push_screen(BacktestScreen(self.session))

    def action_cycle_theme(self) -> None:
        """Switch to the next theme loaded from the themes folders."""
        names = self.theme_names or [self.theme]
        position = names.index(self.theme) + 1 if self.theme in names else 0
        following = names[position % len(names)]
        self.theme = following
        self.notify(f"Theme {following}", timeout=2)


def run_app(session: Session, broker: Broker) -> None:
    """Run the TUI until the user quits (blocks; owns the terminal meanwhile)."""
    RpTuiApp(session, broker).run()
