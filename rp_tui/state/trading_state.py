"""The persistent trading state (kill switch), kept in ``<data dir>/trading-state``.

The file holds one word: ACTIVE, REDUCING (sells only) or HALTED (nothing is sent). A user
can set it from the UI or with ``echo HALTED > …/trading-state``; a missing file is ACTIVE.
"""

from __future__ import annotations

from pathlib import Path

from rp_tui.domain.safety import TradingState
from rp_tui.errors import BrokerError
from rp_tui.state.storage import atomic_write_text, data_dir


def trading_state_path() -> Path:
    """Where the kill switch is kept: ``<data dir>/trading-state``."""
    return data_dir() / "trading-state"


def read_trading_state(path: Path | None = None) -> TradingState:
    """The current state. Raises :class:`BrokerError` for a file holding anything else."""
    path = path or trading_state_path()
    if not path.exists():
        return TradingState.ACTIVE
    word = path.read_text("utf-8").strip().upper()
    try:
        return TradingState(word)
    except ValueError as exc:
        raise BrokerError(
            f"{path}: trading state {word!r} is not ACTIVE, REDUCING or HALTED; fix or delete it"
        ) from exc


def write_trading_state(state: TradingState, path: Path | None = None) -> None:
    """Set the kill switch (atomically: a reader sees the old or the new word).

    The execution path reads it again before every order, so a change takes effect for
    the next order of a run already going.
    """
    atomic_write_text(path or trading_state_path(), f"{state.value}\n")
