"""The demo account's state on disk: ``<data dir>/demo-account.json``, written atomically."""

from __future__ import annotations

import json
from pathlib import Path

from rp_tui.errors import BrokerError
from rp_tui.state.storage import atomic_write_text, data_dir

STATE_VERSION = 1


def state_path() -> Path:
    """Where the demo account is kept (``$RP_TUI_DATA_DIR`` or the platform data dir)."""
    return data_dir() / "demo-account.json"


def load_state(path: Path) -> dict | None:
    """The saved account (cash and quantities as floats), or ``None`` when there is none.

    Raises:
        BrokerError: the file is unreadable or of an unknown version (names the fix).
    """
    if not path.exists():
        return None
    try:
        state = json.loads(path.read_text("utf-8"))
        if state.get("version") != STATE_VERSION:
            raise ValueError("unknown version")
        state["cash"] = float(state["cash"])
        state["quantities"] = {k: float(v) for k, v in state["quantities"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BrokerError(
            f"{path}: demo account state is unreadable ({exc}); "
            "run rp-tui --reset-demo to start the demo account again"
        ) from exc
    return state


def save_state(path: Path, state: dict) -> None:
    """Replace the saved account with ``state`` (readers see the old or the new file)."""
    atomic_write_text(path, json.dumps(state, indent=2) + "\n")
