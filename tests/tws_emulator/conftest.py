"""Shared helpers and fixtures: the TWS emulator with the demo account, a connected client."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable

import pytest_asyncio
from ib_async import IB, Stock

from rp_tui.tws_emulator import TwsEmulator, demo_scenario

Errors = list[tuple[int, int, str]]


async def until(predicate: Callable[[], object], timeout: float = 30.0) -> None:
    """Wait until ``predicate()`` is true (the client handles messages asynchronously);
    the timeout only bounds a failing test (a loaded machine may take seconds)."""

    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)


async def connect(emu: TwsEmulator, client_id: int = 1, **kwargs: object) -> IB:
    """A connected client (``connectAsync`` including its start-up sync)."""
    ib = IB()
    await ib.connectAsync("127.0.0.1", emu.port, clientId=client_id, timeout=5, **kwargs)
    return ib


def capture_errors(ib: IB) -> Errors:
    errors: Errors = []
    ib.errorEvent += lambda req_id, code, text, _contract: errors.append((req_id, code, text))
    return errors


@pytest_asyncio.fixture
async def emu() -> AsyncIterator[TwsEmulator]:
    async with TwsEmulator(demo_scenario(end=dt.date(2024, 6, 28))) as emulator:
        yield emulator
        assert emulator.handler_errors == []


@pytest_asyncio.fixture
async def ib(emu: TwsEmulator) -> AsyncIterator[IB]:
    client = await connect(emu)
    yield client
    client.disconnect()


def stock(symbol: str) -> Stock:
    """A fresh, unqualified contract (qualifying mutates it in place)."""
    return Stock(symbol, "SMART", "USD")


async def qualified(ib: IB, symbol: str) -> Stock:
    (contract,) = await ib.qualifyContractsAsync(stock(symbol))
    assert contract is not None
    return contract
