"""IBKR tests: the real ib_async client against the project's TWS emulator on loopback."""

from __future__ import annotations

import pytest

from rp_tui.services.session import make_broker, open_session
from rp_tui.tws_emulator import TwsEmulator, demo_scenario
from tests.conftest import PORTFOLIO


@pytest.fixture
async def emulator():
    async with TwsEmulator(demo_scenario()) as emu:
        yield emu


@pytest.fixture
def ibkr_config(tmp_path):
    """portfolio.toml switched to the IBKR broker, trading allowed (paper account)."""
    text = PORTFOLIO.read_text().replace('kind = "demo"', 'kind = "ibkr"')
    text = text.replace("read_only = true", "read_only = false")
    path = tmp_path / "portfolio.toml"
    path.write_text(text)
    return path


@pytest.fixture
def session(ibkr_config):
    return open_session(ibkr_config)


@pytest.fixture
def connect(session, emulator):
    """Build an IBKR broker on the emulator's port; disconnects every one it built."""
    made = []

    def build(**overrides):
        broker = make_broker(session, "ibkr", port=emulator.port, **overrides)
        made.append(broker)
        return broker

    yield build
    for broker in made:
        broker.disconnect()
