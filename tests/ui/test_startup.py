"""Start-up (#16): the first frame needs only the dashboard; the plan, the schedule and the
other screens are imported when used, after it (``benchmarks/bench_startup.py`` times the
first frame and the NAV against a bare Textual app)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

from tests.ui.conftest import REPO

# What `rp-tui` loads before the dashboard paints: the CLI, the session, the demo broker and
# the app. The plan (scipy), the schedule (pandas, exchange calendars), the charts (plotext)
# and the other screens must not be among them.
FIRST_SCREEN = """
import sys
from rp_tui.cli.app_command import run_tui
from rp_tui.services.session import make_broker, open_session
session = open_session("rp_tui/examples/factor-etfs.toml")
broker = make_broker(session)
from rp_tui.ui.app import RpTuiApp
RpTuiApp(session, broker)
late = ("scipy", "pandas", "exchange_calendars", "plotext", "rp_tui.services.plan",
        "rp_tui.ui.backtest_screen", "rp_tui.ui.risk_screen", "rp_tui.ui.preview")
print(" ".join(m for m in late if m in sys.modules))
"""


def test_the_first_screen_imports_only_what_it_needs(tmp_path):
    env = {**os.environ, "RP_TUI_DATA_DIR": str(tmp_path)}
    loaded = subprocess.run(
        [sys.executable, "-c", FIRST_SCREEN],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert loaded == [], f"imported before the first frame: {loaded}"


async def test_a_dropped_paint_callback_does_not_hold_the_plan_up(monkeypatch):
    """Textual runs ``call_after_refresh`` callbacks after the *active* screen's next
    refresh and drops them with a screen popped first (results dismissed under load left
    the dashboard on "computing targets" for good): the account view waits for its paint at
    most ``PAINT_WAIT`` seconds, then the plan lands anyway."""
    from rp_tui.services.session import open_session
    from tests.conftest import PORTFOLIO
    from tests.ui.conftest import SIZE, make_app, until

    app = make_app(open_session(PORTFOLIO))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.plan is not None, what="the first plan")
        app.plan = None  # as after an execution: the account view shows first
        monkeypatch.setattr(app, "call_after_refresh", lambda *args, **kwargs: True)
        app.action_refresh_plan()
        await until(pilot, lambda: app.plan is not None, 20.0, "the plan after a lost paint")


async def test_start_up_objects_are_left_out_of_garbage_collection():
    """A full garbage collection scanned every object of start-up (~120,000) and held the
    event loop 80-110 ms, the first paint of backtest results among the frames it stalled:
    once the first plan is on screen those objects are frozen (``gc.freeze``), and they are
    thawed when the app ends (a frozen object is never collected)."""
    from rp_tui.services.session import open_session
    from tests.conftest import PORTFOLIO
    from tests.ui.conftest import SIZE, make_app, until

    app = make_app(open_session(PORTFOLIO))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.plan is not None, what="the first plan")
        await until(pilot, lambda: gc.get_freeze_count() > 10_000, what="start-up frozen")
    assert gc.get_freeze_count() == 0, "the app ended with objects still frozen"
