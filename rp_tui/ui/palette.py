"""The command palette (Ctrl+P): every action of the app by name, beside Textual's own."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from textual.app import SystemCommand

from rp_tui.ui.choice import ChoiceScreen

if TYPE_CHECKING:
    from rp_tui.ui.app import RpTuiApp

# Textual's own commands renamed where an app command has the same name.
RENAMED = {"Keys": "Key panel"}


def palette_commands(app: RpTuiApp, textual: Iterable[SystemCommand]) -> Iterator[SystemCommand]:
    """Textual's commands (``textual``, renamed where they clash) and the app's, each
    name once."""
    for command in textual:
        yield command._replace(title=RENAMED.get(command.title, command.title))
    yield SystemCommand(
        "Preview orders", "The orders that rebalance the account", app.action_preview
    )
    yield SystemCommand(
        "Backtest", "Replay the strategy over the price history", app.action_backtest
    )
    yield SystemCommand("Risk", "Contributions, VaR / CVaR, correlations", app.action_risk)
    yield SystemCommand("Edit", "Assets, budgets, bounds and rules (ctrl+s saves)", app.action_edit)
    yield SystemCommand(
        "Drift: weight / risk",
        "The dashboard's drift column in weight or in risk contribution",
        lambda: app.dashboard.action_toggle_drift(),
    )
    yield SystemCommand("Refresh the plan", "Snapshot the account again", app.action_refresh_plan)
    yield SystemCommand("Reconnect", "Connect to TWS / IB Gateway again", app.action_reconnect)
    yield SystemCommand(
        "Switch to the demo account", "Leave IBKR for this session", app.broker_status.use_demo
    )
    yield SystemCommand("Next theme", "Cycle through the themes", app.action_cycle_theme)
    yield SystemCommand(
        "Reset the demo account",
        "Back to the seeded holdings (asks first)",
        lambda: reset_demo(app),
    )
    yield SystemCommand("Trade log", "Intents, orders, fills, commissions", app.action_log)
    yield SystemCommand("Kill switch", "ACTIVE / REDUCING / HALTED", app.action_trading_state)
    yield SystemCommand("Keys", "Every key, screen by screen", app.action_help)


def reset_demo(app: RpTuiApp) -> None:
    """Restore the seeded demo account, after a yes (only while on the demo broker)."""
    if app.broker.kind != "demo":
        app.notify("Only the demo account can be reset", severity="warning")
        return
    if app.executing:
        app.notify("Orders are being sent; reset when they are done", severity="warning")
        return

    def answered(choice: str | None) -> None:
        if choice != "reset" or app.broker.kind != "demo":
            return
        app.broker.reset()
        app.notify("Demo account reset to its seeded holdings")
        app.action_refresh_plan()

    app.push_screen(
        ChoiceScreen(
            "Reset the demo account?",
            "Holdings and cash go back to the seeded account; demo trades since are undone "
            "(the trade log keeps them).",
            [("y", "reset", "reset"), ("n", "keep it", "keep")],
        ),
        answered,
    )
