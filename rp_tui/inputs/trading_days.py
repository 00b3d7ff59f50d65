"""Exchange trading days from ``exchange_calendars``, by the listing's exchange.

IBKR exchange codes map onto ISO 10383 MICs (``SMART``/``ARCA``/``BATS`` → ``XNYS``,
``LSE``/``LSEETF`` → ``XLON``, ``IBIS`` → ``XETR`` …); the calendar library is imported only
when a backtest asks for sessions.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import numpy as np

from rp_tui.errors import DataError
from rp_tui.inputs.portfolio import Asset

MIC_BY_EXCHANGE = {
    **dict.fromkeys(
        ("SMART", "ARCA", "NYSE", "NASDAQ", "ISLAND", "BATS", "AMEX", "IEX", "BYX", "EDGX"),
        "XNYS",
    ),
    "LSE": "XLON",
    "LSEETF": "XLON",
    "IBIS": "XETR",
    "IBIS2": "XETR",
    "AEB": "XAMS",
    "SBF": "XPAR",
    "BVME": "XMIL",
    "EBS": "XSWX",
    "SWX": "XSWX",
    "TSE": "XTSE",
    "ASX": "XASX",
    "SEHK": "XHKG",
    "TSEJ": "XTKS",
}


def calendar_for(asset: Asset) -> str:
    """The MIC of the exchange that lists ``asset`` (its primary exchange if given).

    Raises:
        DataError: an exchange with no known calendar (named, with the fix).
    """
    for venue in (asset.primary_exchange, asset.exchange):
        if venue in MIC_BY_EXCHANGE and not (venue == "SMART" and asset.currency != "USD"):
            return MIC_BY_EXCHANGE[venue]
    raise DataError(
        f"no trading calendar for {asset.symbol} on {asset.primary_exchange or asset.exchange}"
        f' ({asset.currency}); set [strategy] calendar = "XNYS" (or another MIC)'
    )


@cache  # one calendar per process: sweeps ask for the same range many times
def trading_sessions(mic: str, start: np.datetime64, end: np.datetime64) -> np.ndarray:
    """Trading days of exchange ``mic`` from ``start`` to ``end`` inclusive, ``datetime64[D]``.

    Kept on disk per library version (``<data dir>/calendars``): building a calendar costs
    about a third of a second, most of a whole ``rp-tui backtest`` run.

    Raises:
        DataError: an unknown MIC or dates outside the calendar's range.
    """
    from importlib.metadata import version

    from rp_tui.state.storage import data_dir

    folder = data_dir() / "calendars"
    path = folder / f"{mic}-{start}-{end}-xcals{version('exchange_calendars')}.npy"
    if path.exists():
        sessions = np.load(path)
    else:
        sessions = _build_sessions(mic, start, end)
        _keep(sessions, path)
    sessions.flags.writeable = False  # shared by every caller of the cache
    return sessions


def _keep(sessions: np.ndarray, path: Path) -> None:
    """Save ``sessions`` at ``path`` for the next process, atomically
    (:func:`rp_tui.state.storage.atomic_write_files`: each writer has its own temporary file,
    and a sweep's workers, all starting on an empty cache, write the same calendar at once).
    A cache that cannot be written (a read-only or full disk) is not kept, and the calendar
    is built again."""
    from rp_tui.state.storage import atomic_write_files

    saved = io.BytesIO()
    np.save(saved, sessions)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_files({path: saved.getvalue()})
    except OSError:
        pass


def _build_sessions(mic: str, start: np.datetime64, end: np.datetime64) -> np.ndarray:
    import warnings

    import exchange_calendars as xcals

    try:
        with warnings.catch_warnings():  # exchange_calendars' own pandas deprecations
            warnings.simplefilter("ignore", category=FutureWarning)
            warnings.simplefilter("ignore", category=DeprecationWarning)
            calendar = xcals.get_calendar(mic, start=str(start), end=str(end))
            return calendar.sessions.to_numpy().astype("datetime64[D]")
    except (xcals.errors.InvalidCalendarName, ValueError) as exc:
        raise DataError(f"trading calendar {mic!r}: {exc}") from exc
