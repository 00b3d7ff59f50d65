"""One trading instance at a time (order-safety item 16): a lock file in the data directory.

The TUI and ``rp-tui rebalance --execute`` hold it while they run, so two of them can never
send orders for the same account at once. The lock is released by the OS if the process
dies, so a crash leaves nothing to clean up.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from rp_tui.errors import UserError
from rp_tui.state.storage import data_dir


@contextmanager
def single_instance(what: str) -> Iterator[None]:
    """Hold ``<data dir>/rp-tui.lock`` for the duration of the block.

    Raises:
        UserError: another rp-tui holds it (its pid and what it is doing are named).
    """
    path = data_dir() / "rp-tui.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
            raise UserError(
                f"another rp-tui is running ({holder}); close it before {what}, so that "
                "orders are never sent twice"
            ) from exc
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}: {what}".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
