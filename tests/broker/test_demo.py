import asyncio
import json

import numpy as np
import pytest

from rp_tui.broker.base import OrderRequest
from rp_tui.errors import BrokerError
from rp_tui.services.execution import execute_plan
from rp_tui.services.order_flow import execute_orders
from rp_tui.services.plan import build_plan
from rp_tui.services.session import make_broker, open_session
from tests.conftest import PORTFOLIO


@pytest.fixture
def session():
    return open_session(PORTFOLIO)


def test_seeded_account_bought_equal_weight_a_year_before(session):
    broker = make_broker(session)
    snap = asyncio.run(broker.snapshot())
    state = json.loads(broker.path.read_text())
    assert state["seeded_on"] == "2021-12-28" and snap.as_of == "2022-12-28"
    assert 0 < snap.cash < 1_000 and snap.account == "DEMO-RP1"
    row = int(np.searchsorted(session.history.dates, np.datetime64("2021-12-28")))
    values = [
        snap.quantities[s] * session.history.closes[row, i]
        for i, s in enumerate(session.history.symbols)
    ]
    assert max(values) - min(values) < max(session.history.closes[row])  # within a share


def test_plan_has_real_work_and_execution_persists(session):
    broker = make_broker(session)
    plan = asyncio.run(build_plan(session, broker))
    assert [(o.side, o.symbol) for o in plan.orders] == [
        ("SELL", "QUAL"),
        ("SELL", "SIZE"),
        ("BUY", "USMV"),
    ]
    fills = asyncio.run(execute_plan(broker, plan))
    assert all(f.status == "filled" for f in fills)
    again = asyncio.run(make_broker(session).snapshot())  # a new broker reads the file
    assert again.quantities["USMV"] == 254 + plan.orders[-1].quantity
    assert again.cash == pytest.approx(plan.cash_after)
    after = asyncio.run(build_plan(session, make_broker(session)))
    assert after.max_abs_drift < plan.max_abs_drift


def test_impossible_orders_are_rejected_and_change_nothing(session):
    broker = make_broker(session)
    snap = asyncio.run(broker.snapshot())
    before = broker.path.read_text()
    held, close = snap.quantities["MTUM"], snap.prices["MTUM"]
    fills = asyncio.run(
        execute_orders(
            broker,
            [
                OrderRequest("MTUM", "SELL", held + 10, close, "USD", 1.0),
                OrderRequest("QUAL", "BUY", 100, snap.prices["QUAL"], "USD", 1.0),
            ],
        )
    )
    assert [f.status for f in fills] == ["rejected", "rejected"]
    assert [f.message for f in fills] == ["sells more than held", "not enough cash"]
    assert json.loads(broker.path.read_text())["quantities"] == json.loads(before)["quantities"]


def test_corrupt_state_says_how_to_recover(session):
    broker = make_broker(session)
    broker.path.write_text("{not json")
    with pytest.raises(BrokerError, match="--reset-demo"):
        asyncio.run(broker.snapshot())
