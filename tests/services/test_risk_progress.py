"""The risk report says which stage it is in (the Monte Carlo one is most of a long run)."""

from __future__ import annotations

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
