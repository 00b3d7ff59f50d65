"""Named crash points for recovery tests (order-safety.md, "How to test them").

``RP_TUI_CRASH_AT=<name>`` makes :func:`crash_point` of that name end the process at once
with SIGKILL, as a power cut or ``kill -9`` would; unset, it does nothing.
"""

from __future__ import annotations

import os
import signal

CRASH_ENV = "RP_TUI_CRASH_AT"


def crash_point(name: str) -> None:
    """End the process with SIGKILL here when ``$RP_TUI_CRASH_AT`` equals ``name``."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
