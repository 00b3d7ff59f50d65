"""User paths and atomic file writes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

DATA_DIR_ENV = "RP_TUI_DATA_DIR"


def data_dir() -> Path:
    """The user's data directory for rp-tui (demo account state, logs).

    ``$RP_TUI_DATA_DIR`` overrides the platform default (``platformdirs.user_data_dir``), so
    tests and several demo accounts can live side by side. Created on first use.
    """
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        path = Path(override)
    else:
        from platformdirs import user_data_dir

        path = Path(user_data_dir("rp-tui", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so readers see the old or the new file, never a torn one.

    Writes a temporary file in the same directory, fsyncs it, then renames it over ``path``.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
