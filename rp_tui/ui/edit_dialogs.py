"""The editor's dialogs: a field typed and judged as you type, and a value picked from its
choices (each choice judged before it is offered).

Fast typing stays in order. Keys typed while a dialog opens reach the dialog's screen
before its field has the focus: they are typed into the field, in order. Keys typed after
the answer (Enter), while the dialog closes, are never typed into it: they are handed,
in order, to the screen below (``then``), which may pass them on to its next dialog
(``typed``). So "Enter 0.15 Enter Down Enter 0.2 Enter" edits two cells, as typed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

Check = Callable[[str], str | None]
"""The reason a value is refused (the file's own words), or ``None`` when it is accepted."""
Keys = list[tuple[str, str | None]]
"""Key presses as ``(key, character)``, in the order typed."""


class _Dialog(ModalScreen[str | None]):
    """A modal answered once; keys typed after the answer go to ``then`` (or the app)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = ""  # focused once the keys typed while it opened are in (on_mount)

    def __init__(self, typed: Sequence = (), then: Callable[[Keys], None] | None = None):
        super().__init__()
        self.accepted = False
        self.typed: Keys = list(typed)  # typed before this dialog existed
        self.after: Keys = []  # typed after the answer
        self.then = then

    def on_mount(self) -> None:
        """Type the keys typed before the dialog was shown, then focus it (later keys go
        straight to the focused widget; those already queued here are typed first)."""
        for key, character in self.typed:
            self.type_key(key, character)
        self.call_later(self.focus_answer)

    def focus_answer(self) -> None:
        """Give the focus to the widget that takes the answer."""

    def type_key(self, key: str, character: str | None) -> bool:
        """Apply one key typed before the focus was set; False when it means nothing here."""
        if self.accepted:
            self.after.append((key, character))
            return True
        if key == "escape":
            self.action_cancel()
            return True
        return False

    def finish(self, value: str | None) -> None:
        """Close with ``value``; from now on keys wait for the screen below."""
        if self.accepted:
            return
        self.accepted = True
        if self.focused is not None:
            self.focused.disabled = True  # takes no more keys
        self.dismiss(value)

    def on_key(self, event: events.Key) -> None:
        """Keys that reached the screen rather than its focused widget: typed in order."""
        if self.type_key(event.key, event.character):
            event.stop()
            event.prevent_default()

    def on_unmount(self) -> None:
        """Hand the keys typed while closing to the screen below, in the order typed."""
        if self.after and self.then is not None:  # once this dialog is off the stack
            self.app.call_later(self.then, self.after)
        else:
            for key, character in self.after:
                self.app.post_message(events.Key(key, character))

    def action_cancel(self) -> None:
        """Close without a value (Esc after the answer is a key for the screen below)."""
        if self.accepted:
            self.after.append(("escape", None))
            return
        self.finish(None)


class EditCellScreen(_Dialog):
    """A one-field dialog; ``check`` returns the reason a value is invalid, or ``None``.
    Enter accepts a valid value and closes at once (a refused value keeps the dialog
    open). ``hint`` says what the field takes."""

    def __init__(
        self,
        title: str,
        value: str,
        check: Check,
        hint: str = "",
        typed: Sequence = (),
        then: Callable[[Keys], None] | None = None,
    ) -> None:
        super().__init__(typed, then)
        self.title_text, self.value, self.check, self.hint = title, value, check, hint

    def compose(self) -> ComposeResult:
        with Vertical(id="edit-box") as box:
            box.border_title = self.title_text
            yield Input(value=self.value, id="edit-input")
            yield Static("", id="edit-reason")
            if self.hint:
                yield Static(Text(self.hint, style="dim"), id="edit-hint")
            yield Static(Text("Enter: accept    Esc: cancel"), id="edit-keys")

    def focus_answer(self) -> None:
        if not self.accepted:
            self.query_one(Input).focus()

    @on(Input.Changed)
    def validate_as_typed(self, event: Input.Changed) -> None:
        """Say at once whether the value would be kept, and why not."""
        reason = self.check(event.value)
        self.query_one("#edit-reason", Static).update(
            Text(reason or "ok", style="red" if reason else "green")
        )

    def type_key(self, key: str, character: str | None) -> bool:
        """Characters, Enter and the field's editing keys (Ctrl+A, Ctrl+K, ...)."""
        if super().type_key(key, character):
            return True
        field = self.query_one(Input)
        if character and character.isprintable() and len(character) == 1:
            field.value = (
                field.value[: field.cursor_position]
                + character
                + (field.value[field.cursor_position :])
            )
            field.cursor_position += 1
        elif key == "enter":  # at once: the keys after it are for the screen below
            if self.check(field.value) is None:
                self.finish(field.value)
        else:
            action = next(
                (b.action for b in field.BINDINGS if isinstance(b, Binding)
                 and key in b.key.split(",")),
                None,
            )  # fmt: skip
            if action is None:
                return False
            getattr(field, f"action_{action}")()
        return True

    @on(Input.Submitted)
    def accept(self, event: Input.Submitted) -> None:
        """Close with a valid value (the value as it was when Enter was pressed)."""
        event.stop()
        if self.check(event.value) is None:
            self.finish(event.value)


class PickScreen(_Dialog):
    """One of ``choices`` (``(value, reason refused or None)``) picked with the arrows and
    Enter; a refused choice is shown, greyed, with its reason. Esc cancels."""

    DEFAULT_CSS = """
    PickScreen { align: center middle; }
    #pick-box {
        width: 70; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    #pick-list { height: auto; max-height: 16; }
    #pick-keys { text-style: bold; color: $warning; }
    """

    def __init__(
        self,
        title: str,
        choices: list[tuple[str, str | None]],
        current: str,
        typed: Sequence = (),
        then: Callable[[Keys], None] | None = None,
    ) -> None:
        super().__init__(typed, then)
        self.title_text, self.choices, self.current = title, choices, current

    def compose(self) -> ComposeResult:
        options = []
        for value, reason in self.choices:
            label = Text(value)
            if value == self.current:
                label.append("  (now)", style="bold")
            if reason:
                label.append(f"  {reason}", style="italic")
            options.append(Option(label, id=value, disabled=bool(reason)))
        with Vertical(id="pick-box") as box:
            box.border_title = self.title_text
            yield OptionList(*options, id="pick-list")
            yield Static(Text("Enter: choose    Esc: cancel"), id="pick-keys")

    def on_mount(self) -> None:
        values = [value for value, _ in self.choices]
        if self.current in values:
            self.query_one(OptionList).highlighted = values.index(self.current)
        super().on_mount()

    def focus_answer(self) -> None:
        if not self.accepted:
            self.query_one(OptionList).focus()

    def type_key(self, key: str, character: str | None) -> bool:
        """Up, Down, Home, End and Enter on the list."""
        if super().type_key(key, character):
            return True
        picks = self.query_one(OptionList)
        moves = {"up": "cursor_up", "down": "cursor_down", "home": "first", "end": "last"}
        if key in moves:
            getattr(picks, f"action_{moves[key]}")()
        elif key == "enter":
            option = (
                None if picks.highlighted is None else picks.get_option_at_index(picks.highlighted)
            )
            if option is not None and not option.disabled:
                self.finish(option.id)
        else:
            return False
        return True

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        """Close with the chosen value."""
        event.stop()
        self.finish(event.option.id)
