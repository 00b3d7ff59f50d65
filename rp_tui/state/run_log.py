"""The run log: one human-readable line per scheduled run (``rp-tui run``), due or not, in
``<data dir>/run-log.txt``, beside the trade log's ``scheduled_run`` record of the same run.

Lines are appended with ``O_APPEND`` and fsync'd, as the trade log's are; a reader skips
nothing (a torn last line is shown as it is).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from rp_tui.state.storage import data_dir


def run_log_path() -> Path:
    """Where the run log lives: ``<data dir>/run-log.txt``."""
    return data_dir() / "run-log.txt"


def append_run_line(text: str, when: datetime | None = None, path: Path | None = None) -> str:
    """Append ``<UTC time>  text`` as one line (newlines in ``text`` become ``; ``), synced
    before returning. Returns the line written (without its newline).

    Raises:
        OSError: the log cannot be written.
    """
    when = (when or datetime.now(UTC)).astimezone(UTC)
    line = f"{when:%Y-%m-%d %H:%M:%S} UTC  " + "; ".join(text.strip().splitlines())
    fd = os.open(path or run_log_path(), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return line


def read_run_log(limit: int = 50, path: Path | None = None) -> list[str]:
    """The last ``limit`` lines of the run log, oldest first ([] when there is none)."""
    path = path or run_log_path()
    if not path.exists():
        return []
    return path.read_text("utf-8", errors="replace").splitlines()[-limit:]
