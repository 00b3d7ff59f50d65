"""The risk report says which stage it is in (the Monte Carlo one is most of a long run)."""

from __future__ import annotations

import pytest

from rp_tui.services.risk_report import STAGES, risk_report
from rp_tui.services.session import make_broker, open_session
from tests.conftest import PORTFOLIO


async def test_stages_are_reported_in_order_and_the_report_is_unchanged():
    session = open_session(PORTFOLIO)
    heard: list[tuple[int, str]] = []
    with_progress = await risk_report(
        session, make_broker(session, "demo"), 5_000, 0, lambda *r: heard.append(r)
    )
    assert [stage for stage, _ in heard] == [0, 1, 2, 3, STAGES]
    assert "Monte Carlo 5,000 paths" in heard[3][1] and heard[-1][1] == "done"
    quiet = await risk_report(session, make_broker(session, "demo"), 5_000, 0)
    assert with_progress.to_json() == quiet.to_json()


async def test_monte_carlo_in_a_child_gives_the_same_report_and_never_holds_the_loop():
    import asyncio
    import time

    session = open_session(PORTFOLIO)
    here = await risk_report(session, make_broker(session, "demo"), 20_000, 3)
    ticks: list[float] = []
    done = asyncio.Event()

    async def ticker():
        while not done.is_set():
            ticks.append(time.monotonic())
            await asyncio.sleep(0.005)

    watcher = asyncio.create_task(ticker())
    child = await risk_report(session, make_broker(session, "demo"), 20_000, 3, in_child=True)
    done.set()
    await watcher
    ours, theirs = here.to_json(), child.to_json()
    assert {k: v for k, v in ours.items() if k != "var"} == {
        k: v for k, v in theirs.items() if k != "var"
    }
    for mine, its in zip(ours["var"], theirs["var"], strict=True):  # large sums: ulps apart
        assert mine.keys() == its.keys()
        for key, value in mine.items():
            if isinstance(value, str):
                assert value == its[key]
            else:
                assert value == pytest.approx(its[key], rel=1e-12), key
    assert len(ticks) > 3  # the loop ran while the child computed (in this process: once)
