"""The trade log screen: empty and full logs, moving through them."""

from __future__ import annotations

from rp_tui.state.trade_log import TradeLog, trade_log_path
from rp_tui.ui.dashboard import DashboardScreen
from rp_tui.ui.log_screen import LogScreen, RecordScreen
from tests.ui.conftest import SIZE, make_app, press, settle, shows, until

MOVES = ("up", "pagedown", "down", "pageup", "home", "end", "ctrl+home", "ctrl+end")


async def test_an_empty_log_takes_every_movement_key(session, data_dir):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        trade_log_path().unlink(missing_ok=True)  # empty, whatever the demo logged
        await press(pilot, "l", lambda: isinstance(app.screen, LogScreen))
        await shows(pilot, "Trade log: empty")
        for key in MOVES:
            await pilot.press(key)
        await press(pilot, "r", lambda: app.screen.records == [])  # reload: still empty
        await press(pilot, "escape", lambda: isinstance(app.screen, DashboardScreen))
        assert app.is_running


async def test_moving_through_the_log_shows_each_record_in_full(session, data_dir):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        trade_log_path().unlink(missing_ok=True)
        log = TradeLog()
        for i in range(30):
            log.append("refused", run_id=f"run-{i}", reasons=[f"reason {i}"])
        await press(pilot, "l", lambda: isinstance(app.screen, LogScreen))
        await shows(pilot, "Trade log: 30 records", "run_id run-29")  # newest first
        await pilot.press("pagedown")
        detail = app.screen.query_one("#log-detail")
        await until(pilot, lambda: "run_id run-29" not in str(detail.render()))
        for key in MOVES:
            await pilot.press(key)
        await shows(pilot, "run_id run-0")  # ctrl+end: the oldest


async def test_enter_opens_a_record_in_full_at_80x24(session, data_dir):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        trade_log_path().unlink(missing_ok=True)
        long_reasons = [
            f"check {i}: this order was refused for a long reason ending {i}Z" for i in range(8)
        ]
        TradeLog().append(
            "refused", run_id="run-long", order_ref="rp-tui:run-long:sells", reasons=long_reasons
        )
        await press(pilot, "l", lambda: isinstance(app.screen, LogScreen))
        await shows(pilot, "Trade log: 1 record")
        await press(pilot, "enter", lambda: isinstance(app.screen, RecordScreen))
        await shows(pilot, "rp-tui:run-long:sells", *(f"ending {i}Z" for i in range(8)))
        await press(pilot, "escape", lambda: isinstance(app.screen, LogScreen))
