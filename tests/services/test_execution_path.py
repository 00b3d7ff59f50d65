"""The one execution path on the demo account: every guard applies to it as to IBKR."""

from __future__ import annotations

import asyncio

import pytest

from rp_tui.broker.base import OrderRequest
from rp_tui.cli.main import main
from rp_tui.domain.safety import SafetyLimits, TradingState
from rp_tui.errors import BrokerError
from rp_tui.services.execution import execute_plan
from rp_tui.services.order_flow import execute_orders
from rp_tui.services.plan import build_plan
from rp_tui.services.session import make_broker, open_session
from rp_tui.state.trade_log import TradeLog
from rp_tui.state.trading_state import write_trading_state
from tests.conftest import PORTFOLIO


@pytest.fixture
def session():
    return open_session(PORTFOLIO)


def demo_fills() -> list[dict]:
    return [r for r in TradeLog().read() if r["event"] == "demo_fill"]


def test_halted_demo_rebalance_exits_2_and_fills_nothing(capsys, isolated_data_dir):
    main(["plan", "--config", str(PORTFOLIO)])  # seeds the account
    state_file = isolated_data_dir / "demo-account.json"
    before = state_file.read_text()
    (isolated_data_dir / "trading-state").write_text("HALTED\n")  # echo HALTED > …
    capsys.readouterr()
    code = main(["rebalance", "--execute", "--yes", "--config", str(PORTFOLIO)])
    _, err = capsys.readouterr()
    assert code == 2 and "trading state is HALTED: nothing was sent" in err
    assert state_file.read_text() == before
    assert not demo_fills()
    assert TradeLog().read()[-1]["event"] == "refused"


def test_reducing_demo_sends_the_sells_and_refuses_the_buys(capsys, session):
    plan = asyncio.run(build_plan(session, make_broker(session)))
    write_trading_state(TradingState.REDUCING)
    fills = asyncio.run(execute_plan(make_broker(session), plan, run_id="r1"))
    by_side = {side: [f for f in fills if f.side == side] for side in ("SELL", "BUY")}
    assert by_side["SELL"] and all(f.status == "filled" for f in by_side["SELL"])
    assert by_side["BUY"] and all(f.status == "rejected" for f in by_side["BUY"])
    assert all("REDUCING" in f.message and f.quantity == 0 for f in by_side["BUY"])
    assert [r["symbol"] for r in demo_fills()] == [f.symbol for f in by_side["SELL"]]
    refused = [r for r in TradeLog().read() if r["event"] == "not_sent"]
    assert [r["order_ref"] for r in refused] == [f.order_ref for f in by_side["BUY"]]
    code = main(["rebalance", "--execute", "--yes", "--config", str(PORTFOLIO)])
    assert code == 2 and "REDUCING" in capsys.readouterr().err, "only buys left: refused"


@pytest.mark.parametrize("switch", [TradingState.HALTED, TradingState.REDUCING])
def test_kill_switch_is_read_again_before_each_demo_order(session, switch):
    broker = make_broker(session)
    plan = asyncio.run(build_plan(session, broker))
    assert [o.side for o in plan.orders] == ["SELL", "SELL", "BUY"]
    place = broker.place

    async def place_then_switch(prepared, run_id):  # the user flips the switch meanwhile
        ticket = await place(prepared, run_id)
        write_trading_state(switch)
        return ticket

    broker.place = place_then_switch
    fills = asyncio.run(execute_plan(broker, plan, run_id="k1"))
    sent = 1 if switch is TradingState.HALTED else 2  # REDUCING still lets the sells go
    assert [f.status for f in fills] == ["filled"] * sent + ["cancelled"] * (3 - sent)
    assert all(switch.value in f.message and "not sent" in f.message for f in fills[sent:])
    assert len(demo_fills()) == sent


def test_demo_orders_pass_the_pre_trade_checks(session):
    broker = make_broker(session)
    plan = asyncio.run(build_plan(session, broker))
    before = broker.path.read_text()
    broker.limits = SafetyLimits(max_order_notional=100.0)
    with pytest.raises(BrokerError, match="max_order_notional"):
        asyncio.run(execute_plan(broker, plan))
    broker.limits = SafetyLimits(max_order_shares=5)
    with pytest.raises(BrokerError, match="max_order_shares"):
        asyncio.run(execute_plan(broker, plan))
    broker.limits = SafetyLimits()
    order = plan.orders[0].request()
    fractional = OrderRequest(order.symbol, order.side, 2.5, order.price, "USD", 1.0)
    with pytest.raises(BrokerError, match="whole number of shares"):
        asyncio.run(execute_orders(broker, [fractional]))
    assert broker.path.read_text() == before and not demo_fills()
    refused = [r for r in TradeLog().read() if r["event"] == "refused"]
    assert len(refused) == 3 and "max_order_notional" in refused[0]["reasons"][0]


def test_a_resized_demo_buy_pays_the_commission_of_what_it_bought(session):
    broker = make_broker(session)
    plan = asyncio.run(build_plan(session, broker))
    buy = plan.orders[-1]
    assert buy.side == "BUY"
    sells = [o.request() for o in plan.orders[:-1]]
    fills = asyncio.run(
        execute_orders(broker, [*sells, buy.request()], buy_budget=plan.buy_budget - 1_000.0)
    )
    bought = fills[-1]
    assert bought.status == "filled" and 0 < bought.quantity < buy.quantity
    expected = broker.buy_fees([buy.symbol]).commission([bought.quantity], [bought.price])[0]
    assert bought.commission == pytest.approx(expected)
    assert any(r["event"] == "resized" for r in TradeLog().read())
