"""Random key sequences sent through Pilot to the demo app (issue #10).

Each sequence runs in a fresh :class:`RpTuiApp` on the demo broker, over a fresh copy of
``portfolio.toml`` and a fresh ``$RP_TUI_DATA_DIR`` under a temporary folder (nothing real
is traded, nothing of the user's is written). A crash is an exception that ends the app
(the Pilot re-raises it) or a worker that ends in error; a sequence whose ``q`` quits the
app early simply ends there. Sequences are drawn from a seed, so one that crashes can be
replayed alone: ``sequence(seed, index)``.
"""

from __future__ import annotations

import os
import random
import string
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from textual.worker import Worker, WorkerState

from rp_tui.services.session import Session, make_broker, open_session
from rp_tui.ui.app import RpTuiApp

REPO = Path(__file__).resolve().parents[2]
# The app's own keys (screens, dialogs, the editor) ...
APP_KEYS = (
    "p", "enter", "y", "n", "escape", "e", "d", "l", "k", "r", "t", "v", "b", "c",
    "question_mark", "up", "down", "left", "right", "pageup", "pagedown", "tab",
    "ctrl+s", "ctrl+z", "a", "x", "s", "g", "m", "w", "o", "h", "backspace", "home", "end",
)  # fmt: skip
# ... and what a user might type into the editor's dialogs.
TYPED = (*string.digits, *string.ascii_letters, "full_stop", "minus", "percent_sign", "space")
QUIT = 0.01  # the chance of "q" at each key: most sequences run to their end
SIZE = (80, 24)


def sequence(seed: int, index: int, length: int = 20) -> list[str]:
    """The ``index``-th key sequence of ``seed``: 1 to ``length`` keys, mostly app keys,
    now and then ``q``."""
    rng = random.Random(f"{seed}:{index}")
    keys = []
    for _ in range(rng.randint(1, length)):
        draw = rng.random()
        keys.append("q" if draw < QUIT else rng.choice(APP_KEYS if draw < 0.75 else TYPED))
    return keys


@dataclass
class Outcome:
    """What one sequence did: crashes (empty if none), whether ``q`` ended it early, and
    the screens it visited."""

    crashes: list[str] = field(default_factory=list)
    quit_early: bool = False
    screens: set[str] = field(default_factory=set)


class Sandbox:
    """A temporary folder holding a portfolio copy and one data directory per sequence;
    sets ``$RP_TUI_DATA_DIR`` while a sequence runs."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="rp-tui-keyfuzz-")
        self.root = Path(self._folder.name)
        self.portfolio = self.root / "portfolio.toml"
        self.text = (REPO / "portfolio.toml").read_text(encoding="utf-8")
        self.portfolio.write_text(self.text, encoding="utf-8")
        self.count = 0
        with self.data_dir():
            self.session: Session = open_session(self.portfolio)
        assert self.session.portfolio.broker.kind == "demo", "the fuzzer trades on the demo only"

    def data_dir(self):
        """Point ``$RP_TUI_DATA_DIR`` at a new folder for the next sequence."""
        self.count += 1
        return _env("RP_TUI_DATA_DIR", str(self.root / f"data-{self.count}"))

    def close(self) -> None:
        self._folder.cleanup()


class _env:
    def __init__(self, name: str, value: str) -> None:
        self.name, self.value = name, value

    def __enter__(self) -> None:
        self.before = os.environ.get(self.name)
        os.environ[self.name] = self.value

    def __exit__(self, *exc) -> None:
        if self.before is None:
            os.environ.pop(self.name, None)
        else:
            os.environ[self.name] = self.before


async def run_sequence(
    sandbox: Sandbox, keys: list[str], app_class: type[RpTuiApp] = RpTuiApp
) -> Outcome:
    """Send ``keys`` one by one to a fresh demo app; report crashes."""
    outcome = Outcome()
    sandbox.portfolio.write_text(sandbox.text, encoding="utf-8")  # undo an earlier save

    def watch(message) -> None:
        if isinstance(message, Worker.StateChanged) and message.state == WorkerState.ERROR:
            worker = message.worker
            outcome.crashes.append(f"worker {worker.name!r} failed: {worker.error!r}")

    with sandbox.data_dir():
        broker = make_broker(sandbox.session, "demo")
        app = app_class(sandbox.session, broker, theme_dirs=[REPO / "themes"])
        try:
            async with app.run_test(size=SIZE, message_hook=watch) as pilot:
                for key in keys:
                    if not app.is_running:
                        outcome.quit_early = True
                        break
                    await pilot.press(key)
                    outcome.screens.add(type(app.screen).__name__)
                    assert app.broker.kind == "demo", "left the demo broker"
                await pilot.pause()
        except Exception as exc:  # the app's own exception, re-raised by the Pilot
            outcome.crashes.append(f"{type(exc).__name__}: {exc}")
    return outcome


@dataclass
class Tally:
    """Sequences run, keys sent, sequences that quit early, and crashes by sequence."""

    sequences: int = 0
    keys: int = 0
    quit_early: int = 0
    screens: set[str] = field(default_factory=set)
    crashes: list[tuple[int, list[str], list[str]]] = field(default_factory=list)


async def run_sequences(count: int, seed: int = 1, length: int = 20) -> Tally:
    """Run ``count`` sequences of ``seed``; crashes keep their index and keys."""
    tally = Tally()
    sandbox = Sandbox()
    try:
        for index in range(count):
            keys = sequence(seed, index, length)
            outcome = await run_sequence(sandbox, keys)
            tally.sequences += 1
            tally.keys += len(keys)
            tally.quit_early += outcome.quit_early
            tally.screens |= outcome.screens
            if outcome.crashes:
                tally.crashes.append((index, keys, outcome.crashes))
    finally:
        sandbox.close()
    return tally
