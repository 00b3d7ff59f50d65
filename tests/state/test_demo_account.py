"""The demo account's file against its write-ahead trade log: what is repaired, what is refused."""

from __future__ import annotations

import asyncio
import json

import pytest

from rp_tui.errors import BrokerError
from rp_tui.services.session import make_broker, open_session
from rp_tui.state.demo_account import apply_fill, load_state, reconcile, save_state
from rp_tui.state.trade_log import TradeLog
from tests.conftest import PORTFOLIO

ACCOUNT = "DEMO-RP1"


@pytest.fixture
def broker():
    session = open_session(PORTFOLIO)
    made = make_broker(session)
    made.reset()  # seeds the account: a demo_reset record, then the file
    return made


def log_fill(broker, fill_id: int, side: str = "SELL", symbol: str = "MTUM") -> dict:
    state = load_state(broker.path)
    return TradeLog().append(
        "demo_fill",
        account=ACCOUNT,
        epoch=state["epoch"],
        fill_id=fill_id,
        symbol=symbol,
        side=side,
        quantity=1.0,
        price=100.0,
        commission=1.0,
        currency="USD",
    )


def records() -> list[dict]:
    return TradeLog().read(events=("demo_reset", "demo_fill"))


def test_fills_logged_but_not_saved_are_replayed_once(broker):
    before = load_state(broker.path)
    log_fill(broker, 1)
    log_fill(broker, 2, "BUY", "QUAL")
    snap = asyncio.run(broker.snapshot())
    assert snap.quantities["MTUM"] == before["quantities"]["MTUM"] - 1
    assert snap.quantities["QUAL"] == before["quantities"]["QUAL"] + 1
    assert snap.cash == pytest.approx(before["cash"] + 100 - 1 - 100 - 1)
    saved = load_state(broker.path)
    assert saved["last_fill_id"] == 2
    assert asyncio.run(broker.snapshot()).quantities == snap.quantities, "not twice"


def test_a_state_ahead_of_the_log_is_refused_with_the_fix(broker):
    state = load_state(broker.path)
    apply_fill(state, {"symbol": "MTUM", "side": "SELL", "quantity": 1, "price": 100.0,
                       "commission": 1.0, "fill_id": 1})  # fmt: skip
    save_state(broker.path, state)  # applied, never logged: what the old order could leave
    with pytest.raises(BrokerError, match=r"missing from the log.*--reset-demo"):
        asyncio.run(broker.snapshot())


def test_a_gap_in_the_fill_ids_is_refused(broker):
    log_fill(broker, 1)
    log_fill(broker, 3)
    with pytest.raises(BrokerError, match=r"not numbered 1\.\.2"):
        asyncio.run(broker.snapshot())


def test_a_hand_edited_account_is_refused(broker):
    broker.path.write_text(broker.path.read_text().replace('"cash": ', '"cash": 1'))
    with pytest.raises(BrokerError, match=r"not its seed plus the 0 fills.*edited"):
        asyncio.run(broker.snapshot())


def test_reset_demo_logs_a_reset_so_older_fills_are_not_replayed(broker, capsys):
    from rp_tui.cli.main import main

    log_fill(broker, 1)
    asyncio.run(broker.snapshot())
    assert main(["--reset-demo", "--config", str(PORTFOLIO)]) == 0
    resets = [r for r in records() if r["event"] == "demo_reset"]
    assert len(resets) == 2 and resets[0]["epoch"] != resets[1]["epoch"]
    state = load_state(broker.path)
    assert state["epoch"] == resets[1]["epoch"] and state["last_fill_id"] == 0
    assert state["quantities"] == resets[1]["quantities"]
    assert asyncio.run(broker.snapshot()).quantities == state["quantities"]


def test_a_reset_logged_but_not_saved_is_completed(broker):
    old = load_state(broker.path)
    log_fill(broker, 1)
    seeded = broker.reset()
    save_state(broker.path, old)  # the crash: the reset record is in, the file is not
    state, replayed = reconcile(load_state(broker.path), records(), ACCOUNT)
    assert replayed == 1 and state["epoch"] == seeded["epoch"]
    assert state["quantities"] == seeded["quantities"] and state["last_fill_id"] == 0


def test_fills_of_an_old_epoch_after_a_newer_reset_are_refused(broker):
    old = load_state(broker.path)
    broker.reset()
    TradeLog().append("demo_fill", account=ACCOUNT, epoch=old["epoch"], fill_id=1)
    with pytest.raises(BrokerError, match="after a later reset"):
        reconcile(old, records(), ACCOUNT)


def test_a_missing_account_file_is_rebuilt_from_the_log(broker):
    log_fill(broker, 1)
    expected = asyncio.run(broker.snapshot()).quantities
    broker.path.unlink()
    assert asyncio.run(broker.snapshot()).quantities == expected


def test_a_version_1_account_is_upgraded(broker):
    legacy = {
        "version": 1,
        "account": ACCOUNT,
        "base_currency": "USD",
        "seeded_on": "2021-12-28",
        "cash": 500.0,
        "quantities": {"MTUM": 10.0},
        "fills": [{"symbol": "MTUM"}],
    }
    broker.path.write_text(json.dumps(legacy))
    TradeLog().path.unlink()  # written before fills were logged first
    state = load_state(broker.path)
    assert (state["epoch"], state["last_fill_id"], state["average_costs"]) == ("v1", 0, {})
    assert "fills" not in state
    assert asyncio.run(broker.snapshot()).cash == 500.0


def test_a_torn_last_line_never_swallows_the_next_record(tmp_path):
    log = TradeLog(tmp_path / "log.ndjson")
    log.append("first")
    with log.path.open("a") as handle:
        handle.write('{"ts": "x", "event": "tor')  # a crash mid-write
    log.append("demo_fill", fill_id=1)
    assert [r["event"] for r in log.read()] == ["first", "demo_fill"]
    assert [r["fill_id"] for r in log.read(events=("demo_fill",))] == [1]


def test_a_first_start_seeds_without_a_log_record():
    broker = make_broker(open_session(PORTFOLIO))
    asyncio.run(broker.snapshot())
    assert load_state(broker.path)["last_fill_id"] == 0 and not TradeLog().read()
    log_fill(broker, 1)  # fills of that first epoch are still replayed by their ids
    assert load_state(broker.path)["last_fill_id"] == 0
    assert asyncio.run(broker.snapshot()).quantities["MTUM"] == 111
