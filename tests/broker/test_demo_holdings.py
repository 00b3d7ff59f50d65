"""The demo account reports every holding, also one removed from portfolio.toml (#10 item 3)."""

from __future__ import annotations

import asyncio
import re

import pytest

from rp_tui.broker.base import OrderRequest
from rp_tui.services.order_flow import execute_orders
from rp_tui.services.session import make_broker, open_session
from tests.conftest import PORTFOLIO


@pytest.fixture
def without_vlue(tmp_path):
    """portfolio.toml with its VLUE asset removed (the account still holds VLUE)."""
    text = PORTFOLIO.read_text()
    text = re.sub(r'\[\[assets\]\]\nsymbol = "VLUE".*?(?=\n\[|\Z)', "", text, flags=re.S)
    path = tmp_path / "portfolio.toml"
    path.write_text(text)
    return open_session(path)


def test_a_holding_outside_the_portfolio_is_reported_and_priced(without_vlue):
    seeded = asyncio.run(make_broker(open_session(PORTFOLIO)).snapshot())
    assert "VLUE" not in without_vlue.portfolio.symbols
    snap = asyncio.run(make_broker(without_vlue).snapshot())
    universe = without_vlue.universe
    close = float(universe.closes[-1, universe.symbols.index("VLUE")])
    assert snap.quantities["VLUE"] == seeded.quantities["VLUE"] == 191
    assert snap.prices["VLUE"] == pytest.approx(close) and snap.quote_kinds["VLUE"] == "close"
    holdings = {h.symbol: h for h in snap.holdings}
    assert set(holdings) == {"MTUM", "QUAL", "SIZE", "USMV", "VLUE"}
    vlue = holdings["VLUE"]
    assert (vlue.quantity, vlue.in_portfolio, vlue.currency) == (191, False, "USD")
    assert holdings["MTUM"].in_portfolio and holdings["MTUM"].primary_exchange == "BATS"
    assert all(h.average_cost > 0 for h in holdings.values())
    value = sum(h.quantity * h.price for h in snap.holdings)
    assert snap.cash + value == pytest.approx(seeded.cash + sum(
        q * seeded.prices[s] for s, q in seeded.quantities.items()
    ))  # fmt: skip


def test_the_demo_can_sell_a_holding_outside_the_portfolio(without_vlue):
    asyncio.run(make_broker(open_session(PORTFOLIO)).snapshot())  # seeded with VLUE
    broker = make_broker(without_vlue)
    snap = asyncio.run(broker.snapshot())
    sell = OrderRequest("VLUE", "SELL", 191, snap.prices["VLUE"], "USD", 1.0)
    (fill,) = asyncio.run(execute_orders(broker, [sell]))
    assert fill.status == "filled" and fill.quantity == 191
    after = asyncio.run(broker.snapshot())
    assert "VLUE" not in {h.symbol for h in after.holdings}
    assert after.cash == pytest.approx(snap.cash + 191 * snap.prices["VLUE"] - 1.0)


def test_average_cost_per_share_follows_the_buys():
    session = open_session(PORTFOLIO)
    broker = make_broker(session)
    snap = asyncio.run(broker.snapshot())
    before = next(h for h in snap.holdings if h.symbol == "MTUM")
    buy = OrderRequest("MTUM", "BUY", 1, snap.prices["MTUM"], "USD", 1.0)
    asyncio.run(execute_orders(broker, [buy]))
    after = next(h for h in asyncio.run(broker.snapshot()).holdings if h.symbol == "MTUM")
    expected = (before.quantity * before.average_cost + snap.prices["MTUM"] + 1.0) / (
        before.quantity + 1
    )
    assert after.quantity == before.quantity + 1
    assert after.average_cost == pytest.approx(expected)
