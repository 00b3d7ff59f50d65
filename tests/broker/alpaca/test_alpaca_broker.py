"""Alpaca through the real alpaca-py SDK against a fake of Alpaca's REST API on loopback:
the account, prices, history, plans, orders and the shared guards."""

from __future__ import annotations

import asyncio
import json

import pytest

from rp_tui.broker.base import OrderRequest
from rp_tui.cli.main import main
from rp_tui.domain.safety import TradingState
from rp_tui.errors import BrokerError
from rp_tui.services.execution import execute_plan
from rp_tui.services.order_flow import execute_orders
from rp_tui.services.plan import build_plan
from rp_tui.state.trade_log import TradeLog
from rp_tui.state.trading_state import write_trading_state
from tests.broker.alpaca.conftest import broker_for, portfolio_text


def events(name: str) -> list[dict]:
    return [r for r in TradeLog().read() if r["event"] == name]


async def test_snapshot_has_every_position_with_average_cost_cash_and_live_quotes(config):
    _, broker = broker_for(config)
    snap = await broker.snapshot()
    assert snap.broker == "alpaca" and snap.account == "PA1TESTACCT"
    assert snap.cash == 20_000.0 and snap.cash_by_currency == {"USD": 20_000.0}
    assert snap.quantities == {"SPY": 100, "TLT": 50, "GLD": 0, "XOM": 10}
    assert snap.prices["SPY"] == 500.0 and snap.quote_kinds["SPY"] == "live"
    costs = {h.symbol: (h.average_cost, h.in_portfolio) for h in snap.holdings}
    assert costs == {"SPY": (450.0, True), "TLT": (100.0, True), "XOM": (100.0, False)}
    assert broker.nav() == 20_000 + 100 * 500 + 50 * 90 + 10 * 110
    access = broker.access()
    assert (access.name, access.live, access.read_only, access.connected) == (
        "Alpaca", False, False, True,
    )  # fmt: skip
    assert "paper" in access.where and "127.0.0.1" in access.where


async def test_plan_takes_alpaca_adjusted_daily_bars_cached_for_the_day(config, fake):
    session, broker = broker_for(config)
    plan = await build_plan(session, broker)
    assert plan.broker == "alpaca" and plan.orders
    bars = [p for m, p in fake.requests if p == "/v2/stocks/bars"]
    assert len(bars) == 1
    history = await broker.history(61)
    assert history.source.startswith("Alpaca daily bars (iex, adjusted)")
    assert history.closes.shape == (61, 3)
    await build_plan(session, broker_for(config)[1])  # a new broker, the same day
    assert len([p for m, p in fake.requests if p == "/v2/stocks/bars"]) == 1, "from the cache"


async def test_execute_sells_first_logs_every_event_and_books_each_fill_once(config, fake):
    session, broker = broker_for(config)
    plan = await build_plan(session, broker)
    fills = await execute_plan(broker, plan, run_id="r1")
    assert [f.side for f in fills] == sorted((f.side for f in fills), key=lambda s: s != "SELL")
    assert all(f.status == "filled" for f in fills)
    by_ref = {o["client_order_id"]: o for o in fake.orders}
    assert set(by_ref) == {f.order_ref for f in fills}
    assert all(ref.startswith("rp-tui:r1:") for ref in by_ref)
    for f in fills:
        assert f.quantity == by_ref[f.order_ref]["filled"] and f.commission == 0.0
    booked = {}
    for r in events("fill"):
        booked[r["order_ref"]] = booked.get(r["order_ref"], 0.0) + r["shares"]
    assert booked == {f.order_ref: f.quantity for f in fills}
    for name in ("intent", "submitted", "status", "result"):
        assert {r["order_ref"] for r in events(name)} == set(by_ref), name


async def test_fills_across_several_polls_are_booked_once_each(config, fake):
    fake.fill_plan["GLD"] = "steps"  # a third at each poll
    session, broker = broker_for(config)
    plan = await build_plan(session, broker)
    fills = await execute_plan(broker, plan, run_id="r2")
    gld = next(f for f in fills if f.symbol == "GLD")
    order = next(o for o in fake.orders if o["symbol"] == "GLD")
    assert gld.status == "filled" and gld.quantity == order["filled"] == order["qty"]
    gld_fills = [r for r in events("fill") if r["order_ref"] == gld.order_ref]
    assert len(gld_fills) >= 2 and sum(r["shares"] for r in gld_fills) == order["filled"]
    assert len({r["exec_id"] for r in gld_fills}) == len(gld_fills)


async def test_a_partial_fill_is_reported_and_the_rest_cancelled(config, fake):
    fake.fill_plan["GLD"] = "partial"
    session, broker = broker_for(config)
    broker.execution = type(broker.execution)(fill_timeout=1.0)
    plan = await build_plan(session, broker)
    fills = await execute_plan(broker, plan, run_id="r3")
    gld = next(f for f in fills if f.symbol == "GLD")
    order = next(o for o in fake.orders if o["symbol"] == "GLD")
    assert gld.status == "partial" and gld.quantity == order["filled"] > 0
    assert order["status"] == "canceled" and "remainder cancelled" in gld.message
    assert gld.remaining == order["qty"] - order["filled"]


@pytest.mark.parametrize(
    ("rejection", "words"),
    [
        ((403, 40310000, "insufficient buying power"), "insufficient buying power"),
        ((403, 40310000, "market is closed"), "market is closed"),
    ],
)
async def test_a_rejected_order_says_why_and_the_run_goes_on(config, fake, rejection, words):
    fake.reject["GLD"] = rejection
    session, broker = broker_for(config)
    plan = await build_plan(session, broker)
    fills = await execute_plan(broker, plan, run_id="r4")
    gld = next(f for f in fills if f.symbol == "GLD")
    assert gld.status == "rejected" and words in gld.message and gld.quantity == 0
    assert [f.status for f in fills if f.symbol != "GLD"] == ["filled", "filled"]
    assert not [o for o in fake.orders if o["symbol"] == "GLD"]
    assert events("rejected")[0]["reason"] == words


async def test_buying_power_is_checked_by_alpaca_too(config, fake):
    _, broker = broker_for(config)
    await broker.snapshot()
    big = OrderRequest("GLD", "BUY", 150, 200.0, "USD", 0.0)  # USD 30,000 > 20,000 cash
    fills = await execute_orders(broker, [big], run_id="r5")
    assert fills[0].status == "rejected" and "insufficient buying power" in fills[0].message


async def test_fractional_orders_go_as_they_are_and_a_non_fractionable_asset_refuses(config, fake):
    fake.fractionable["TLT"] = False
    _, broker = broker_for(config)
    await broker.snapshot()
    quotes = await broker.quotes(["GLD", "TLT"])
    for symbol, expected in (("GLD", "filled"), ("TLT", "rejected")):
        order = OrderRequest(symbol, "BUY", 2.5, quotes[symbol].price, "USD", 0.0)
        prepared = broker.prepare(order, quotes[symbol], f"rp-tui:f1:{symbol}")
        assert prepared.order_type == "MKT", "fractional shares go as market DAY orders"
        ticket = await broker.place(prepared, "f1")
        await broker.wait([ticket], 1.0)
        outcome = broker.outcome(ticket)
        assert outcome.status == expected, outcome
    gld = next(o for o in fake.orders if o["symbol"] == "GLD")
    assert gld["qty"] == gld["filled"] == 2.5 and gld["type"] == "market"
    assert "not fractionable" in broker.outcome(ticket).message


async def test_a_closed_market_refuses_the_run_before_anything_is_sent(config, fake):
    session, broker = broker_for(config)
    plan = await build_plan(session, broker)
    fake.is_open = False
    with pytest.raises(BrokerError, match=r"market is closed.*nothing was sent"):
        await execute_plan(broker, plan, run_id="r6")
    assert fake.posts == 0


async def test_read_only_is_the_default_and_sends_nothing(tmp_path, fake):
    path = tmp_path / "p.toml"
    path.write_text(portfolio_text(fake.url).replace("read_only = false\n", ""))
    session, broker = broker_for(path)
    plan = await build_plan(session, broker)
    with pytest.raises(BrokerError, match="read-only"):
        await execute_plan(broker, plan, run_id="r7")
    assert fake.posts == 0


async def test_live_needs_allow_live_and_the_account_typed(tmp_path, fake):
    path = tmp_path / "p.toml"
    path.write_text(portfolio_text(fake.url, "alpaca_paper = false\n"))
    session, broker = broker_for(path)
    plan = await build_plan(session, broker)
    assert broker.access().live and "LIVE" in broker.access().where
    with pytest.raises(BrokerError, match="allow_live = true"):
        await execute_plan(broker, plan, run_id="r8")
    path.write_text(portfolio_text(fake.url, "alpaca_paper = false\nallow_live = true\n"))
    session, broker = broker_for(path)
    plan = await build_plan(session, broker)
    with pytest.raises(BrokerError, match="type its id"):
        await execute_plan(broker, plan, run_id="r9", typed_confirmation="PA-WRONG")
    assert fake.posts == 0
    fills = await execute_plan(broker, plan, run_id="r10", typed_confirmation="PA1TESTACCT")
    assert all(f.status == "filled" for f in fills) and fake.posts == len(fills)


async def test_halted_during_the_run_stops_the_next_order(config, fake):
    session, broker = broker_for(config)
    plan = await build_plan(session, broker)
    place = broker.place

    async def place_then_halt(prepared, run_id):
        ticket = await place(prepared, run_id)
        write_trading_state(TradingState.HALTED)
        return ticket

    broker.place = place_then_halt
    fills = await execute_plan(broker, plan, run_id="r11")
    assert [f.status for f in fills] == ["filled", "cancelled", "cancelled"]
    assert fake.posts == 1


async def test_missing_or_wrong_keys_are_named_never_shown(config, fake, monkeypatch):
    monkeypatch.delenv("APCA_API_KEY_ID")
    monkeypatch.delenv("ALPACA_API_KEY", raising=False)
    with pytest.raises(BrokerError, match="APCA_API_KEY_ID"):
        broker_for(config)
    monkeypatch.setenv("APCA_API_KEY_ID", "wrong-key")
    _, broker = broker_for(config)
    with pytest.raises(BrokerError, match="401") as refused:
        await broker.snapshot()
    assert "wrong-key" not in str(refused.value) and "test-secret" not in str(refused.value)


async def test_orders_by_ref_finds_the_run_orders_by_client_order_id(config, fake):
    session, broker = broker_for(config)
    plan = await build_plan(session, broker)
    fills = await execute_plan(broker, plan, run_id="r12")
    found = await broker.orders_by_ref("rp-tui:r12:")
    assert {o.order_ref: (o.filled, o.status) for o in found} == {
        f.order_ref: (f.quantity, "filled") for f in fills
    }
    assert await broker.orders_by_ref("rp-tui:other:") == []


async def test_market_days_and_clock_come_from_alpaca(config, fake):
    from datetime import date

    _, broker = broker_for(config)
    assert (await broker.clock()).is_open
    days = await broker.market_days(date(2026, 11, 27), date(2026, 11, 30))
    assert days == (date(2026, 11, 27), date(2026, 11, 30))  # Friday, Monday
    assert await broker.is_market_day(date(2026, 11, 28)) is False


def test_the_command_line_plans_on_alpaca_and_refuses_without_keys(
    config, fake, capsys, monkeypatch
):
    assert main(["plan", "--config", str(config), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {p["symbol"] for p in doc["positions"]} == {"SPY", "TLT", "GLD", "XOM"}
    assert doc["orders"] and doc["cash_by_currency"] == {"USD": 20_000.0}
    monkeypatch.delenv("APCA_API_SECRET_KEY")
    monkeypatch.delenv("ALPACA_SECRET_KEY", raising=False)
    assert main(["plan", "--config", str(config), "--broker", "alpaca"]) == 2
    err = capsys.readouterr().err
    assert "APCA_API_SECRET_KEY" in err and "Traceback" not in err


def test_a_bad_alpaca_url_is_named(tmp_path, fake, capsys):
    path = tmp_path / "p.toml"
    path.write_text(portfolio_text("ftp://127.0.0.1"))
    assert main(["plan", "--config", str(path)]) == 2
    assert "alpaca_url" in capsys.readouterr().err


def test_quotes_do_not_block_the_event_loop(config, fake):
    _, broker = broker_for(config)

    async def both():
        ticks = 0

        async def tick():
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        task = asyncio.ensure_future(tick())
        await broker.quotes(["SPY"])
        task.cancel()
        return ticks

    assert asyncio.run(both()) > 1


async def test_a_new_asset_is_accepted_only_if_alpaca_trades_it(config, fake):
    from rp_tui.inputs.portfolio import Asset
    from rp_tui.services.session import check_new_asset

    session, broker = broker_for(config)
    await check_new_asset(session, broker, Asset("XOM", "SMART", "USD", "NYSE"))
    with pytest.raises(BrokerError, match="does not know NOPE"):
        await check_new_asset(session, broker, Asset("NOPE"))
    with pytest.raises(BrokerError, match="USD, not EUR"):
        await check_new_asset(session, broker, Asset("VOW3", "IBIS", "EUR"))
    broker.restart_connection()
    assert not broker.access().connected
    await broker.snapshot()
    assert broker.access().connected


async def test_a_fractional_plan_is_sent_in_fractions_to_alpaca(tmp_path, fake):
    """``[rebalancing] fractional = true`` plans fractional orders and Alpaca, which takes
    them, is sent them through the shared path (its checks allow fractions only for a
    broker that says it takes them)."""
    path = tmp_path / "p.toml"
    text = portfolio_text(fake.url).replace(
        "cash_buffer = 0.01\n", "cash_buffer = 0.01\nfractional = true\n"
    )
    path.write_text(text)
    session, broker = broker_for(path)
    plan = await build_plan(session, broker)
    assert any(o.quantity != int(o.quantity) for o in plan.orders)
    fills = await execute_plan(broker, plan, run_id="fr1")
    assert fake.posts == len(plan.orders)
    assert any(f.quantity != int(f.quantity) for f in fills if f.status == "filled")


async def test_reconciliation_reads_back_an_order_whose_run_stopped_after_the_send(config, fake):
    from rp_tui.services.reconcile import reconcile

    _, broker = broker_for(config)
    await broker.snapshot()
    quote = (await broker.quotes(["GLD"]))["GLD"]
    order = OrderRequest("GLD", "BUY", 5, quote.price, "USD", 0.0)
    await broker.place(broker.prepare(order, quote, "rp-tui:monthly-2026-11.1:0"), "x")
    # the run stops here: no result in the trade log
    found = await reconcile(broker, "monthly-2026-11.")
    assert found.results == ("rp-tui:monthly-2026-11.1:0",)
    assert found.traded == {"GLD": "BUY 5/5 filled (rp-tui:monthly-2026-11.1:0)"}
    result = events("result")[-1]
    assert (result["order_ref"], result["filled"], result["status"]) == (
        "rp-tui:monthly-2026-11.1:0", 5.0, "filled",
    )  # fmt: skip


def test_the_command_line_rebalances_at_alpaca_and_a_rejection_exits_1(config, fake, capsys):
    code = main(["rebalance", "--execute", "--yes", "--config", str(config), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["dry_run"] is False
    assert [f["order_ref"] for f in doc["fills"]] == [o["client_order_id"] for o in fake.orders]
    assert all(f["status"] == "filled" for f in doc["fills"])
    fake.prices["SPY"] = 560.0  # drift again; GLD now refused by Alpaca
    fake.reject["GLD"] = (403, 40310000, "insufficient buying power")
    code = main(["rebalance", "--execute", "--yes", "--config", str(config)])
    out = capsys.readouterr().out
    assert code == 1 and "insufficient buying power" in out
