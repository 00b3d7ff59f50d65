"""IBKR reports every position and cash balance, and can trade a held symbol that is not in
portfolio.toml (#10 item 3, broker side)."""

from __future__ import annotations

import pytest

from rp_tui.broker.base import OrderRequest
from rp_tui.services.order_flow import execute_orders
from rp_tui.tws_emulator import Instrument, Position, Quote


@pytest.fixture
def holds_efav(emulator):
    """The paper account also holds 120 EFAV (not in portfolio.toml) and some EUR cash."""
    s = emulator.scenario
    s.instruments.append(Instrument("EFAV", 700_100, primary_exchange="BATS"))
    s.quotes["EFAV"] = Quote(bid=70.98, ask=71.02, last=71.0, close=71.0)
    s.positions.append(Position("EFAV", 120, avg_cost=65.5))
    s.accounts[0].cash["EUR"] = 400.0
    s.accounts[0].exchange_rates["EUR"] = 1.1
    return s


async def test_every_position_and_cash_balance_is_in_the_snapshot(connect, holds_efav):
    snap = await connect().snapshot()
    holdings = {h.symbol: h for h in snap.holdings}
    assert set(holdings) == {"MTUM", "QUAL", "SIZE", "USMV", "VLUE", "EFAV"}
    efav = holdings["EFAV"]
    assert (efav.quantity, efav.price, efav.average_cost) == (120, 71.0, 65.5)
    assert (efav.currency, efav.primary_exchange, efav.con_id) == ("USD", "BATS", 700_100)
    assert not efav.in_portfolio and holdings["MTUM"].in_portfolio
    assert holdings["MTUM"].price == snap.prices["MTUM"] and holdings["MTUM"].exchange == "SMART"
    assert snap.quantities["EFAV"] == 120 and snap.prices["EFAV"] == 71.0
    assert snap.quote_kinds["EFAV"] == "portfolio" and "EFAV" not in snap.blocked
    assert snap.cash_by_currency == {"USD": 25_000.0, "EUR": 400.0}
    assert snap.fx["EUR"] == pytest.approx(1.1)


async def test_a_held_symbol_outside_the_portfolio_can_be_sold(connect, emulator, holds_efav):
    broker = connect()
    await broker.snapshot()
    sell = OrderRequest("EFAV", "SELL", 120, 71.0, "USD", 1.0)
    (fill,) = await execute_orders(broker, [sell], run_id="efav")
    assert (fill.status, fill.quantity) == ("filled", 120)
    (placed,) = [p for p in emulator.placed_orders if not p.what_if]
    assert (placed.symbol, placed.contract.con_id, placed.order_ref) == (
        "EFAV",
        700_100,
        "rp-tui:efav:0",
    )
    assert placed.lmt_price == pytest.approx(70.91)  # bid 70.98 less 10 bp, on the tick
    after = await broker.snapshot()
    assert "EFAV" not in {h.symbol for h in after.holdings}


async def test_a_symbol_neither_held_nor_in_the_portfolio_is_refused(connect, emulator):
    from rp_tui.errors import BrokerError

    broker = connect()
    await broker.snapshot()
    with pytest.raises(BrokerError, match=r"neither in portfolio\.toml nor held"):
        await execute_orders(broker, [OrderRequest("EFAV", "SELL", 1, 71.0, "USD", 1.0)])
    assert not [p for p in emulator.placed_orders if not p.what_if]
