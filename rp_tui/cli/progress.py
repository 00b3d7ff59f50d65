"""Progress on stderr for the commands a user waits on: a ``rich`` bar, shown only when
stderr is a terminal and the output is text (``--format json`` and pipes stay quiet), and
erased when the work ends. ``rich`` is imported only when a bar is shown.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Advance = Callable[..., None]
"""``advance(done, total, note="")``: ``done`` of ``total`` units (``total`` None: unknown),
with a short note (the symbol being fetched, a pacing wait, the stage)."""


_ACTIVE: list = []  # the bar on screen, if any: rich draws one live display at a time


def shown(fmt: str = "text") -> bool:
    """True when a progress bar may be drawn: text output and stderr is a terminal."""
    return fmt != "json" and sys.stderr.isatty()


def _bar():
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[note]}"),
        console=Console(stderr=True),
        transient=True,
    )


@contextmanager
def progress_bar(description: str, fmt: str = "text") -> Iterator[Advance]:
    """A bar for the duration of the ``with`` block; yields :data:`Advance`.

    Quiet (the callable does nothing) unless :func:`shown`.
    """
    if not shown(fmt):
        yield lambda *_args, **_kw: None
        return
    with _bar() as bar:
        task = bar.add_task(description, total=None, note="")

        def advance(done: float, total: float | None, note: str = "") -> None:
            bar.update(task, completed=done, total=total, note=note)

        _ACTIVE.append(bar)
        try:
            yield advance
        finally:
            _ACTIVE.remove(bar)


def fraction_bar(description: str, fmt: str = "text"):
    """:func:`progress_bar` for work that reports a fraction done in [0, 1] (a backtest's
    ``progress`` callback); yields ``step(fraction)``."""

    @contextmanager
    def bar() -> Iterator[Callable[[float], None]]:
        with progress_bar(description, fmt) as advance:
            yield lambda fraction: advance(round(1000 * fraction) / 10, 100)

    return bar()


class HistoryBar:
    """A :data:`rp_tui.broker.ibkr.history.HistoryProgress` that draws a bar while a broker
    downloads daily history (symbol n of m; pacing waits named as such), started at the
    first report and erased at ``"done"`` (a line of the bar already on screen, if any)."""

    def __init__(self, broker_name: str):
        self.name, self._bar, self._task, self._own = broker_name, None, None, False

    def __call__(self, done: int, total: int, symbol: str, note: str) -> None:
        if note == "done":
            if self._bar is not None:
                self._bar.remove_task(self._task)
                if self._own:
                    self._bar.stop()
                self._bar = None
            return
        if self._bar is None:
            self._own = not _ACTIVE
            self._bar = _bar() if self._own else _ACTIVE[-1]
            if self._own:
                self._bar.start()
            self._task = self._bar.add_task(f"{self.name} daily history", total=total, note="")
        self._bar.update(
            self._task, completed=done, total=total, note=f"{symbol} ({done + 1}/{total}) {note}"
        )


def attach_history_bar(broker, fmt: str = "text") -> None:
    """Show ``broker``'s history downloads (IBKR: ``history_progress``) when :func:`shown`."""
    if shown(fmt) and hasattr(broker, "history_progress"):
        broker.history_progress = HistoryBar(broker.kind.upper())
