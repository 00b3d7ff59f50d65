"""A fake Alpaca on loopback, the keys in the environment, and a portfolio that uses it."""

from __future__ import annotations

from pathlib import Path

import pytest

from rp_tui.services.session import make_broker, open_session
from tests.broker.alpaca.fake_alpaca import KEY, SECRET, FakeAlpaca

SYMBOLS = {"SPY": 500.0, "TLT": 90.0, "GLD": 200.0}


def portfolio_text(url: str, extra_broker: str = "", extra: str = "") -> str:
    """A three-asset US portfolio at the fake Alpaca of ``url`` (read_only off, paper)."""
    assets = "".join(
        f'[[assets]]\nsymbol = "{s}"\nexchange = "SMART"\nprimary_exchange = "ARCA"\n'
        'currency = "USD"\n\n'
        for s in SYMBOLS
    )
    return (
        'base_currency = "USD"\n\n[strategy]\nmethod = "erc"\nlookback = 60\n\n'
        '[rebalancing]\nband = 0.01\ncash_buffer = 0.01\n\n[fees]\nplan = "alpaca"\n\n'
        f'[broker]\nkind = "alpaca"\nread_only = false\nalpaca_url = "{url}"\n'
        f'alpaca_data_url = "{url}"\n{extra_broker}\n'
        '[execution]\norder_type = "limit"\nfill_timeout = 5.0\n\n'
        "[safety]\nmax_order_notional = 100000.0\nmax_run_notional = 500000.0\n"
        f"max_order_pct_nav = 0.9\n\n{extra}{assets}"
    )


@pytest.fixture
def fake(monkeypatch):
    """A running fake Alpaca with SPY, TLT, GLD listed; SPY and TLT held; keys set."""
    monkeypatch.setenv("APCA_API_KEY_ID", KEY)
    monkeypatch.setenv("APCA_API_SECRET_KEY", SECRET)
    server = FakeAlpaca()
    for symbol, price in SYMBOLS.items():
        server.listing(symbol, price)
    server.listing("XOM", 110.0)  # held, not in the portfolio
    server.hold("SPY", 100, 450.0)
    server.hold("TLT", 50, 100.0)
    server.hold("XOM", 10, 100.0)
    server.cash = 20_000.0
    server.start()
    yield server
    server.stop()


@pytest.fixture
def config(tmp_path: Path, fake) -> Path:
    path = tmp_path / "portfolio.toml"
    path.write_text(portfolio_text(fake.url))
    return path


@pytest.fixture
def waits():
    """The retry waits the broker asked for, seconds (none is actually slept)."""
    return []


def broker_for(config: Path, waits: list | None = None, **settings):
    """The Alpaca broker of ``config``: fast polling, retry waits recorded not slept."""
    session = open_session(config)
    broker = make_broker(session, **settings)
    broker.poll_interval = 0.01

    async def record(seconds: float) -> None:
        if waits is not None:
            waits.append(seconds)

    broker.link.sleep = record
    return session, broker
