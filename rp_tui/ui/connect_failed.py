"""The modal shown when TWS / IB Gateway cannot be reached: retry, demo account, or quit."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ConnectFailedScreen(ModalScreen[str]):
    """Says exactly what failed (host:port and why); dismisses with ``"retry"``,
    ``"demo"`` or ``"quit"``."""

    BINDINGS = [
        Binding("r", "choose('retry')", "Retry"),
        Binding("d", "choose('demo')", "Demo account"),
        Binding("q", "choose('quit')", "Quit"),
        Binding("escape", "choose('retry')", "Retry", show=False),
    ]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="connect-box") as box:
            box.border_title = "Interactive Brokers not reachable"
            yield Static(Text(self.message), id="connect-message")
            yield Static(Text("r: retry    d: use the demo account    q: quit"), id="connect-keys")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
