"""IBKR history for the lookback: fetched once a day, cached on disk, paced."""

from __future__ import annotations

import pytest

from rp_tui.broker.ibkr.history import Pacer
from rp_tui.services.plan import build_plan
from rp_tui.services.targets import compute_targets
from rp_tui.tws_emulator import In


async def test_plan_uses_ibkr_history_and_caches_it(session, connect, emulator, isolated_data_dir):
    broker = connect()
    plan = await build_plan(session, broker)
    requests = emulator.received_ids().count(In.REQ_HISTORICAL_DATA)
    assert requests == 5
    assert sorted(p.name.split("-")[0] for p in (isolated_data_dir / "history").iterdir()) == [
        "MTUM",
        "QUAL",
        "SIZE",
        "USMV",
        "VLUE",
    ]
    bundled = compute_targets(session)
    assert [p.target for p in plan.positions] != pytest.approx(
        list(bundled.weights * (1 - session.portfolio.rebalancing.cash_buffer))
    ), "targets come from IBKR's bars, not the bundled file"
    await build_plan(session, connect(client_id=31))
    assert emulator.received_ids().count(In.REQ_HISTORICAL_DATA) == requests, "served from disk"


async def test_pacer_keeps_identical_requests_15_s_apart_and_60_per_10_min():
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(clock=lambda: now[0], sleep=sleep)
    await pacer.wait("a")
    await pacer.wait("a")
    assert slept == [15.0]
    for i in range(58):
        await pacer.wait(f"k{i}")
    assert slept == [15.0]  # 60 requests so far, none more within the window
    await pacer.wait("late")
    assert now[0] == pytest.approx(600.0)
