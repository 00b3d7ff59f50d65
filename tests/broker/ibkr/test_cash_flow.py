"""A plan that counts on a deposit IBKR does not hold is refused before anything is sent."""

import pytest

from rp_tui.errors import BrokerError
from rp_tui.services.execution import execute_plan
from rp_tui.services.plan import build_plan
from rp_tui.tws_emulator import In


async def test_a_deposit_not_in_the_account_is_refused(session, connect, emulator):
    broker = connect()
    plan = await build_plan(session, broker, cash_flow=5_000.0)
    assert plan.orders and plan.cash_flow == 5_000.0
    with pytest.raises(BrokerError, match=r"deposit of 5,000\.00 .* does not hold yet"):
        await execute_plan(broker, plan)
    assert In.PLACE_ORDER not in emulator.received_ids()


async def test_fractional_orders_are_refused_by_ibkr_whole(session, connect, emulator, tmp_path):
    from rp_tui.services.policy import PolicyOverrides

    broker = connect()
    plan = await build_plan(session, broker, overrides=PolicyOverrides(fractional=True))
    assert any(o.quantity != int(o.quantity) for o in plan.orders)
    with pytest.raises(BrokerError, match="takes whole shares only"):
        await execute_plan(broker, plan)
    assert In.PLACE_ORDER not in emulator.received_ids()
