"""User paths and atomic file writes."""

from __future__ import annotations

import errno
import json
import math
import os
import re
import tempfile
import time
from pathlib import Path

from rp_tui.errors import OutputError

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


STALE_AFTER_SECONDS = 60.0  # a temp file this old belongs to a write that was killed


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so readers see the old or the new file, never a torn one.

    Writes a temporary file in the same directory, fsyncs it, then renames it over ``path``.
    Temporary files of ``path`` left by a write that was killed (older than
    :data:`STALE_AFTER_SECONDS`) are removed first.

    Raises:
        OSError: the directory is missing or not writable, ``path`` is a directory, the disk
            is full…; ``path`` is then as it was.
    """
    atomic_write_files({Path(path): text})


def atomic_write_files(files: dict[Path, str | bytes]) -> None:
    """Write several files, each atomically, all or (nearly) nothing: every temporary file
    is written and synced before the first rename, so a full disk or a missing permission
    leaves every file as it was. Text is written as UTF-8, bytes as they are. Each write
    has its own temporary file, so processes writing one file at once do not collide.

    Raises:
        OSError: as :func:`atomic_write_text`; temporary files are removed.
    """
    for path in files:
        if Path(path).is_dir():  # found before anything is replaced
            raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
    staged: list[tuple[str, Path]] = []
    try:
        for path, text in files.items():
            path = Path(path)
            remove_stale_temp_files(path)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            staged.append((tmp, path))
            os.fchmod(fd, _mode_for(path))  # mkstemp's 0600 would hide a report or config
            binary = isinstance(text, bytes)
            with os.fdopen(
                fd, "wb" if binary else "w", encoding=None if binary else "utf-8"
            ) as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        while staged:
            tmp, path = staged[0]
            os.replace(tmp, path)
            staged.pop(0)
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    """The permissions a replaced file keeps, or a new one gets under the user's umask."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def remove_stale_temp_files(path: Path, older_than: float = STALE_AFTER_SECONDS) -> int:
    """Remove the temporary files :func:`atomic_write_text` made for ``path`` and a killed
    write left behind: ``.NAME.XXXXXXXX.tmp`` beside it, last modified over ``older_than``
    seconds ago (a write in progress is younger). Returns how many were removed; a file
    that cannot be removed is left alone."""
    path = Path(path)
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.[a-z0-9_]{{8}}\.tmp$")
    removed, now = 0, time.time()
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return 0
    for entry in entries:
        if not pattern.match(entry.name):
            continue
        try:
            if now - entry.stat(follow_symlinks=False).st_mtime > older_than:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue
    return removed


def check_writable(path: Path, directory: bool, option: str = "--out") -> None:
    """Refuse, before any work is done, a ``path`` that cannot be written: a directory to
    hold files (``directory``) or one file. Creates nothing.

    Raises:
        OutputError: ``path`` is of the wrong kind, its folder is missing or a file, or it
            may not be written; the message names ``option``, the path and the fix.
    """
    path = Path(path)
    if directory and path.exists() and not path.is_dir():
        raise OutputError(f"{option} {path}: is a file, not a directory; name a directory")
    if not directory and path.is_dir():
        raise OutputError(
            f"{option} {path}: is a directory; name a file, such as {path / 'sweep.csv'}"
        )
    if not directory and not path.parent.is_dir():
        what = "is a file" if path.parent.exists() else "does not exist"
        raise OutputError(f"{option} {path}: the folder {path.parent} {what}; create it first")
    folder = path if directory else path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # the nearest folder that exists: where mkdir starts
    if not folder.is_dir():
        raise OutputError(f"{option} {path}: {folder} is a file, not a directory")
    target = path if directory and path.exists() else folder
    try:  # a probe file, removed at once: permissions, read-only or virtual file systems
        fd, probe = tempfile.mkstemp(dir=target, prefix=".rp-tui-probe.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(
            f"{option} {path}: cannot create files in {target} ({exc.strerror or exc}); "
            "choose another place"
        ) from None


def output_error(option: str, path: Path, exc: OSError) -> OutputError:
    """An OSError met while writing ``path`` (given as ``option``), as the user's error."""
    reason = exc.strerror or str(exc)
    return OutputError(f"{option} {path}: cannot be written ({reason}); nothing was written")


def json_text(doc: object) -> str:
    """``doc`` as indented JSON; a NaN or infinite number (a Sharpe ratio of a run that never
    traded) becomes ``null``, as JSON has no such numbers."""

    def finite(value: object) -> object:
        if isinstance(value, float):
            return value if math.isfinite(value) else None
        if isinstance(value, dict):
            return {k: finite(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [finite(v) for v in value]
        return value

    return json.dumps(finite(doc), indent=2, allow_nan=False)
