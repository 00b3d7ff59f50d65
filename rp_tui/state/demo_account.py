"""The demo account's state on disk (``<data dir>/demo-account.json``, written atomically) and
its recovery from the trade log, which is written first (write-ahead).

Every demo fill is appended to the trade log (``demo_fill``, fsync'd) with the account's
``epoch`` and a ``fill_id`` (1, 2, … within the epoch) *before* the state file is replaced;
the state records the last fill it applied (``last_fill_id``). A reset appends a
``demo_reset`` record holding the seeded account and starts a new epoch, so older fills are
never replayed. On load, :func:`reconcile` replays the fills a crash kept out of the state,
and refuses (naming ``rp-tui --reset-demo``) a state the log cannot explain.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Sequence
from pathlib import Path

from rp_tui.errors import BrokerError
from rp_tui.state.storage import atomic_write_text, data_dir

STATE_VERSION = 2
LEGACY_EPOCH = "v1"  # the epoch given to a state saved before fills were logged first
FIX = "run rp-tui --reset-demo to start the demo account again"


def state_path(name: str = "demo-account.json") -> Path:
    """Where a demo account is kept: ``name`` in the data directory (``$RP_TUI_DATA_DIR``
    or the platform data dir); one file per bundled price set."""
    return data_dir() / name


def new_epoch() -> str:
    """A fresh epoch id (12 hex digits) for a reset account."""
    return uuid.uuid4().hex[:12]


def load_state(path: Path) -> dict | None:
    """The saved account, or ``None`` when there is none.

    Returns:
        ``account``, ``base_currency``, ``seeded_on``, ``cash`` (float, base currency),
        ``quantities`` and ``average_costs`` (symbol → float; cost per share with
        commissions, listing currency), ``epoch`` and ``last_fill_id``. A version-1 file
        is upgraded (epoch ``v1``, no fills applied yet, average costs unknown).

    Raises:
        BrokerError: the file is unreadable or of an unknown version (names the fix).
    """
    if not path.exists():
        return None
    try:
        state = json.loads(path.read_text("utf-8"))
        version = state.get("version")
        if version not in (1, STATE_VERSION):
            raise ValueError(f"unknown version {version!r}")
        if version == 1:
            state.pop("fills", None)  # the trade log keeps them now
            state.update(version=STATE_VERSION, epoch=LEGACY_EPOCH, last_fill_id=0)
        state["cash"] = float(state["cash"])
        state["quantities"] = {k: float(v) for k, v in state["quantities"].items()}
        state["average_costs"] = {
            k: float(v) for k, v in state.get("average_costs", {}).items() if v is not None
        }
        state["epoch"] = str(state["epoch"])
        state["last_fill_id"] = int(state["last_fill_id"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BrokerError(f"{path}: demo account state is unreadable ({exc}); {FIX}") from exc
    return state


def save_state(path: Path, state: dict) -> None:
    """Replace the saved account with ``state`` (readers see the old or the new file)."""
    atomic_write_text(path, json.dumps(state, indent=2) + "\n")


def seed_record(state: dict) -> dict:
    """The fields of a ``demo_reset`` log record: the whole seeded account."""
    keep = ("account", "base_currency", "seeded_on", "cash", "quantities", "average_costs")
    return {"epoch": state["epoch"], **{k: state[k] for k in keep}}


def state_from_reset(record: dict) -> dict:
    """The seeded account a ``demo_reset`` record holds (no fill applied yet)."""
    return {
        "version": STATE_VERSION,
        "account": record["account"],
        "base_currency": record["base_currency"],
        "seeded_on": record["seeded_on"],
        "cash": float(record["cash"]),
        "quantities": {k: float(v) for k, v in record["quantities"].items()},
        "average_costs": {k: float(v) for k, v in record.get("average_costs", {}).items()},
        "epoch": record["epoch"],
        "last_fill_id": 0,
    }


def apply_fill(state: dict, fill: dict) -> None:
    """Book one logged ``demo_fill`` into ``state`` (in place): shares, cash (less the
    commission) and, for a buy, the average cost per share including commissions; a
    ``CASH`` record moves ``quantity`` of base currency in (> 0) or out (< 0)."""
    if fill["side"] == "CASH":  # a deposit (> 0) or withdrawal (< 0) of base currency
        state["cash"] += float(fill["quantity"])
        state["last_fill_id"] = int(fill["fill_id"])
        return
    symbol, quantity, price = fill["symbol"], float(fill["quantity"]), float(fill["price"])
    commission = float(fill["commission"])
    held = state["quantities"].get(symbol, 0.0)
    signed = quantity if fill["side"] == "BUY" else -quantity
    costs = state["average_costs"]
    if signed > 0:
        old = costs.get(symbol, 0.0 if held == 0 else math.nan)
        average = (held * old + quantity * price + commission) / (held + quantity)
        if math.isfinite(average):
            costs[symbol] = average
    elif held + signed <= 1e-9:
        costs.pop(symbol, None)
    state["quantities"][symbol] = held + signed
    state["cash"] += -signed * price - commission
    state["last_fill_id"] = int(fill["fill_id"])


def reconcile(state: dict | None, records: Sequence[dict], account: str) -> tuple[dict | None, int]:
    """Bring ``state`` up to date with the trade log (crash recovery).

    Args:
        state: the saved account, or ``None`` when the file is missing.
        records: the log's ``demo_reset`` and ``demo_fill`` records, oldest first.
        account: the demo account id.

    Returns:
        ``(state, replayed)``: the account with every logged fill of its epoch applied (or
        ``None``: no state and no reset in the log, seed a new one) and how many fills or
        resets were applied here (> 0: save it).

    Raises:
        BrokerError: the state and the log disagree beyond repair — fills the state applied
            that the log lacks, a gap in the fill ids, fills of an older epoch after the
            latest reset, or an account that is not the seed plus its logged fills. The
            message says why and how to fix it.
    """
    mine = [r for r in records if r.get("account") == account and "epoch" in r]
    resets = [i for i, r in enumerate(mine) if r["event"] == "demo_reset"]
    replayed = 0
    if resets:
        last = mine[resets[-1]]
        if state is None or state["epoch"] != last["epoch"]:
            stale = state is not None and any(
                r["epoch"] == state["epoch"] for r in mine[resets[-1] + 1 :]
            )
            if stale:
                raise BrokerError(
                    f"the trade log has fills of {account} epoch {state['epoch']} after a later "
                    f"reset ({last['epoch']}): demo-account.json is not the log's; {FIX}"
                )
            state, replayed = state_from_reset(last), 1  # a reset logged, never saved
    if state is None:
        return None, 0
    fills = [r for r in mine if r["event"] == "demo_fill" and r["epoch"] == state["epoch"]]
    ids = [int(r["fill_id"]) for r in fills]
    if ids != list(range(1, len(ids) + 1)):
        raise BrokerError(
            f"the trade log's fills of {account} (epoch {state['epoch']}) are not numbered "
            f"1..{len(ids)} (ids {ids[:5]}…): some are missing or repeated; {FIX}"
        )
    if state["last_fill_id"] > len(ids):
        raise BrokerError(
            f"demo-account.json has applied {state['last_fill_id']} fills but the trade log "
            f"holds {len(ids)} of epoch {state['epoch']}: fills are missing from the log; {FIX}"
        )
    for fill in fills[state["last_fill_id"] :]:
        apply_fill(state, fill)
        replayed += 1
    seeded = [mine[i] for i in resets if mine[i]["epoch"] == state["epoch"]]
    if seeded:
        _check_against_log(state, seeded[-1], fills, account)
    return state, replayed


def _check_against_log(state: dict, reset: dict, fills: list[dict], account: str) -> None:
    """Refuse an account that is not its seed plus its logged fills (a hand-edited file)."""
    expected = state_from_reset(reset)
    for fill in fills:
        apply_fill(expected, fill)
    held = {k: v for k, v in state["quantities"].items() if v}
    wanted = {k: v for k, v in expected["quantities"].items() if v}
    if held != wanted or not math.isclose(state["cash"], expected["cash"], abs_tol=1e-6):
        raise BrokerError(
            f"demo-account.json of {account} is not its seed plus the {len(fills)} fills the "
            f"trade log holds (cash {state['cash']:,.2f} vs {expected['cash']:,.2f}); was it "
            f"edited? {FIX}"
        )
