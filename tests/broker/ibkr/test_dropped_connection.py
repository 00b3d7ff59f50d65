"""A connection that drops before any order is a BrokerError saying nothing was sent (exit
2 from the command line), never ib_async's ConnectionError in a traceback."""

import asyncio
import sys

import pytest

from rp_tui.errors import BrokerError
from rp_tui.services.plan import build_plan
from rp_tui.tws_emulator import In


@pytest.mark.parametrize(
    ("request_id", "doing"),
    [
        (In.REQ_CONTRACT_DATA, "qualifying contracts"),
        (In.REQ_ALL_OPEN_ORDERS, "checking for working orders"),
        (In.REQ_HISTORICAL_DATA, "downloading the history of"),
    ],
)
async def test_a_drop_before_any_order_names_what_was_asked(
    session, connect, emulator, request_id, doing
):
    broker = connect()
    await broker.connect()
    emulator.faults.drop_on_request = request_id
    with pytest.raises(BrokerError, match=f"dropped while {doing}.*nothing was sent"):
        await build_plan(session, broker)
    assert not emulator.placed_orders


async def test_the_command_line_exits_2_saying_nothing_was_sent(ibkr_config, emulator):
    emulator.faults.drop_on_request = In.REQ_CONTRACT_DATA
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "rp_tui", "plan", "--config", str(ibkr_config),
        "--broker", "ibkr", "--port", str(emulator.port),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2, err.decode()
    assert "nothing was sent" in err.decode() and "Traceback" not in err.decode()
