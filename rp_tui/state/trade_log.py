"""The trade log: every intent, order, status, fill and commission as one NDJSON line, fsync'd.

Lives in ``<data dir>/trade-log.ndjson``. Lines are appended with ``O_APPEND`` and synced
before the call returns, so a crash leaves at most a torn last line, which readers skip.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rp_tui.state.storage import data_dir


def trade_log_path() -> Path:
    """Default location of the trade log."""
    return data_dir() / "trade-log.ndjson"


class TradeLog:
    """Append-only NDJSON log.

    Args:
        path: the file; default :func:`trade_log_path`.
    """

    def __init__(self, path: Path | None = None):
        self.path = path or trade_log_path()

    def append(self, event: str, **fields: Any) -> dict:
        """Write ``{"ts": ISO UTC time, "event": event, **fields}`` and fsync it.

        A line torn by a crash mid-write (no final newline) is closed first, so the new
        record never merges into it. Returns the record written.

        Raises:
            OSError: the log cannot be written (disk full, permissions).
        """
        record = {"ts": datetime.now(UTC).isoformat(timespec="milliseconds"), "event": event}
        record.update(fields)
        line = (json.dumps(record, default=str, allow_nan=False) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        return record

    def read(self, limit: int | None = None, events: Iterable[str] | None = None) -> list[dict]:
        """The last ``limit`` records (all when ``None``), oldest first; torn lines skipped.
        With ``events``, only records of those events (lines naming none are not parsed)."""
        if not self.path.exists():
            return []
        wanted = None if events is None else {f'"event": "{e}"' for e in events}
        records = []
        for line in self.path.read_text("utf-8").splitlines():
            if wanted is not None and not any(w in line for w in wanted):
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if wanted is None or f'"event": "{record.get("event")}"' in wanted:
                records.append(record)
        return records[-limit:] if limit else records
