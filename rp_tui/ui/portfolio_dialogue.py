"""portfolio.toml during a session: edits applied at once, saves that keep comments and ask
before overwriting outside changes, a reload offered when another program changed the file,
and the question before quitting with unsaved edits."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rp_tui.errors import UserError
from rp_tui.inputs.portfolio_edit import FileChangedError, PortfolioFile
from rp_tui.services.session import make_broker, with_portfolio
from rp_tui.ui.choice import ChoiceScreen
from rp_tui.ui.editor import EditorScreen

if TYPE_CHECKING:
    from rp_tui.ui.app import RpTuiApp


class PortfolioDialogue:
    """The app's side of the edited ``portfolio.toml`` (the document is ``file``)."""

    def __init__(self, app: RpTuiApp, path: Path) -> None:
        self.app = app
        self.file = PortfolioFile(path)  # edits, undo, saves
        self._asked_reload = False
        self.pending_theme: str | None = None  # [ui] theme to write at the next save

    def watch_file(self) -> None:
        """Offer to reload portfolio.toml when another program changed it (asked once
        until the next save)."""
        if self._asked_reload or not self.file.changed_on_disk():
            return
        self._asked_reload = True

        def answered(choice: str | None) -> None:
            if choice != "reload":
                return  # keep ours: asked again only after the next save
            self._asked_reload = False
            try:
                self.file.reload()
            except UserError as exc:
                self.app.notify(str(exc), title="Not reloaded", severity="error", timeout=10)
                return
            self.edited()

        keep = "k", "keep mine", "keep"
        self.app.push_screen(
            ChoiceScreen(
                "portfolio.toml changed",
                f"{self.file.path} changed on disk.",
                [("r", "reload it", "reload"), keep],
            ),
            answered,
        )

    def edited(self) -> None:
        """Apply the edited portfolio: new targets, drift and orders (not saved yet); an
        edit the session cannot apply is undone."""
        app = self.app
        try:
            app.session = with_portfolio(app.session, self.file.portfolio)
        except UserError as exc:  # e.g. no fee schedule or prices for that listing
            if self.file.can_undo:
                self.file.undo()  # nothing invalid stays in the document
            app.notify(str(exc), title="Edit undone", severity="error", timeout=10)
            if isinstance(app.screen, EditorScreen):
                app.screen.refresh_tables()
            return
        if app.broker.kind == "demo":
            app.broker = make_broker(app.session, "demo")
        else:
            app.broker.assets, app.broker.fees = app.session.portfolio.assets, app.session.fees
        app.retitle()
        app.action_refresh_plan()

    def save(self, overwrite: bool = False) -> bool:
        """Write portfolio.toml (comments kept), with the theme chosen since the last save;
        ask before overwriting outside changes."""
        if self.pending_theme:
            with contextlib.suppress(UserError):
                self.file.set_value("ui", "theme", self.pending_theme)
            self.pending_theme = None
        try:
            self.file.save(overwrite=overwrite)
        except FileChangedError as exc:

            def answered(choice: str | None) -> None:
                if choice == "overwrite":
                    self.save(overwrite=True)
                elif choice == "reload":
                    self.file.reload()
                    self.edited()

            self.app.push_screen(
                ChoiceScreen(
                    "Not saved",
                    str(exc),
                    [("o", "overwrite", "overwrite"), ("r", "reload theirs", "reload")],
                ),
                answered,
            )
            return False
        self._asked_reload = False
        self.app.retitle()
        self.app.notify(f"Saved {self.file.path.name}")
        return True

    def may_quit(self, quit_now: Callable[[], object]) -> bool:
        """True when nothing is unsaved; else ask to save or discard, calling ``quit_now``
        once the answer allows it, and return False."""
        if not self.file.dirty:
            return True

        def answered(choice: str | None) -> None:
            if choice == "discard" or (choice == "save" and self.save()):
                quit_now()

        self.app.push_screen(
            ChoiceScreen(
                "Unsaved changes",
                f"{self.file.path.name} has unsaved edits.",
                [("s", "save and quit", "save"), ("d", "discard and quit", "discard")],
            ),
            answered,
        )
        return False

    def remember_theme(self, name: str) -> None:
        """Keep ``name`` for ``[ui] theme``, written at the next save. A theme switch alone
        does not make the portfolio "modified" (nor ask before quitting): it is a look, not
        an edit of what is held or how it is rebalanced."""
        self.pending_theme = None if name == self.file.portfolio.theme else name
