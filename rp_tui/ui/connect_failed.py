"""The modal shown when TWS / IB Gateway cannot be reached: retry, demo account, or quit."""

from __future__ import annotations

import re

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


def address(message: str) -> str:
    """The ``host:port`` the broker's message names (empty when it names none)."""
    found = re.search(r"at (\S+:\d+)", message)
    return found.group(1) if found else ""


class ConnectFailedScreen(ModalScreen[str | None]):
    """Says exactly what failed (host:port and why); dismisses with ``"retry"``,
    ``"demo"``, ``"quit"``, or None (Esc: stay on the dashboard, which shows the error)."""

    BINDINGS = [
        Binding("r", "choose('retry')", "Retry"),
        Binding("d", "choose('demo')", "Demo account"),
        Binding("q", "choose('quit')", "Quit"),
        Binding("escape", "choose(None)", "Stay (r on the dashboard retries)", show=False),
    ]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="connect-box") as box:
            box.border_title = "Interactive Brokers not reachable"
            where = address(self.message)
            head = f"No TWS / IB Gateway answers at {where}." if where else "No connection."
            yield Static(Text(f"{head}\n\n{self.message}"), id="connect-message")
            yield Static(
                Text("r: retry    d: use the demo account    q: quit    Esc: stay"),
                id="connect-keys",
            )

    def action_choose(self, choice: str | None) -> None:
        """Close with the user's choice."""
        self.dismiss(choice)
