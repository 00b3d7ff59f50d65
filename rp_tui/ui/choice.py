"""A small modal question with one key per answer (save / discard, reload / keep, …)."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ChoiceScreen(ModalScreen[str | None]):
    """Shows ``message``; each ``(key, label, answer)`` dismisses with ``answer``; Esc
    dismisses with ``None``."""

    def __init__(self, title: str, message: str, choices: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.title_text, self.message, self.choices = title, message, choices
        self.answers = {key: answer for key, _, answer in choices}

    def compose(self) -> ComposeResult:
        keys = "    ".join(f"{key}: {label}" for key, label, _ in self.choices)
        with Vertical(id="choice-box") as box:
            box.border_title = self.title_text
            yield Static(Text(self.message), id="choice-message")
            yield Static(Text(f"{keys}    Esc: cancel"), id="choice-keys")

    def on_key(self, event: events.Key) -> None:
        """One key per answer (the keys vary per question, so they are not BINDINGS)."""
        if event.key in self.answers or event.key == "escape":
            event.stop()
            self.dismiss(self.answers.get(event.key))
