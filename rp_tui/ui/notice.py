"""A modal message that must be read: why orders were not sent, and similar refusals."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class NoticeScreen(ModalScreen[None]):
    """Shows ``message`` in full (it may span lines) under ``title``; Enter or Esc closes."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("enter", "close", "Close", show=False),
    ]

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        self.title_text, self.message = title, message

    def compose(self) -> ComposeResult:
        with Vertical(id="notice-box") as box:
            box.border_title = self.title_text
            yield Static(Text(self.message), id="notice-message")
            yield Static(Text("Enter / Esc: close"), id="notice-keys")

    def action_close(self) -> None:
        """Back to the screen below."""
        self.dismiss(None)
