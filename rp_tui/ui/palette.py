"""The command palette (Ctrl+P): every action of the app by name, beside Textual's own."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.command import CommandPalette

from rp_tui.state.storage import data_dir
from rp_tui.ui.choice import ChoiceScreen

if TYPE_CHECKING:
    from rp_tui.ui.app import RpTuiApp

# Textual's own commands renamed where an app command has the same name.
RENAMED = {"Keys": "Key panel"}
SCREENSHOTS = "screenshots"  # under the data directory


def palette_commands(app: RpTuiApp, textual: Iterable[SystemCommand]) -> Iterator[SystemCommand]:
    """Textual's commands (``textual``, renamed where they clash) and the app's, each
    name once."""
    for command in textual:
        if command.title == "Screenshot":  # Textual's saves to ~/Downloads (none on a server)
            command = command._replace(
                help="Save an SVG picture of the screen in the data directory",
                callback=lambda: save_screenshot(app),
            )
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
    yield SystemCommand("Cash flow", "Plan a deposit or a withdrawal (c)", app.action_cash_flow)
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


def save_screenshot(app: RpTuiApp, tries: int = 20) -> None:
    """Save an SVG of the current screen under ``<data dir>/screenshots`` once the palette
    has closed, and say where (or why not)."""
    if isinstance(app.screen, CommandPalette) and tries:
        app.call_after_refresh(save_screenshot, app, tries - 1)  # not a picture of the palette
        return
    try:
        folder = data_dir() / SCREENSHOTS
        folder.mkdir(parents=True, exist_ok=True)
        path = app.save_screenshot(path=str(folder))
    except OSError as exc:
        app.notify(f"Screenshot not saved: {exc}", title="Screenshot", severity="error")
        return
    app.notify(f"Saved to {path}", title="Screenshot", timeout=10)
