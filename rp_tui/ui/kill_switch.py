"""The kill switch: choose ACTIVE, REDUCING (sells only) or HALTED (nothing is sent)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from rp_tui.errors import UserError
from rp_tui.services.execution import set_trading_state, trading_state

STATES = {"a": "ACTIVE", "r": "REDUCING", "h": "HALTED"}
MEANING = {
    "ACTIVE": "orders may be sent",
    "REDUCING": "only sells may be sent",
    "HALTED": "nothing is sent",
}


class TradingStateScreen(ModalScreen[str | None]):
    """Dismisses with the chosen state's name, or None (Esc) to keep the current one."""

    BINDINGS = [
        Binding("a", "choose('ACTIVE')", "Active"),
        Binding("r", "choose('REDUCING')", "Reducing"),
        Binding("h", "choose('HALTED')", "Halted"),
        Binding("escape", "choose(None)", "Cancel"),
    ]

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        meaning = MEANING.get(self.current, "the state file cannot be read")
        lines = [f"Now: {self.current} ({meaning})", ""]
        lines += [f"{key}: {name:<9} {MEANING[name]}" for key, name in STATES.items()]
        with Vertical(id="state-box") as box:
            box.border_title = "Trading state"
            yield Static(Text("\n".join(lines)))
            yield Static(Text("Esc: keep it"), id="state-keys")

    def action_choose(self, state: str | None) -> None:
        self.dismiss(state)


def trading_state_name() -> str:
    """The kill switch's state, or a note when its file is unreadable."""
    try:
        return trading_state()
    except UserError:
        return "unreadable"


def ask_trading_state(app) -> None:
    """Ask for the new state; set it, say what it means and redraw the status line."""

    def chosen(state: str | None) -> None:
        if not state:
            return
        try:
            set_trading_state(state)
        except (UserError, OSError, ValueError) as exc:
            app.notify(f"Trading state not changed: {exc}", severity="error", timeout=10)
            return
        app.notify(
            f"Trading state {state}: {MEANING[state]}",
            title="Kill switch",
            severity="warning" if state != "ACTIVE" else "information",
        )
        app.dashboard.update_status()

    app.push_screen(TradingStateScreen(trading_state_name()), chosen)
