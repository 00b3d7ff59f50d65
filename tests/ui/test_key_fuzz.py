"""Random key sequences never crash the demo app (``benchmarks/fuzz_keys.py`` runs 500+)."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.binding import Binding

from rp_tui.ui import app as app_module
from rp_tui.ui.app import RpTuiApp
from tests.ui.key_fuzz import Sandbox, run_sequence, run_sequences, sequence

SEQUENCES = 40  # the suite's share; each sequence is a fresh app (about a second)


async def test_random_key_sequences_do_not_crash_the_demo_app():
    tally = await run_sequences(SEQUENCES, seed=1, length=15)
    assert tally.sequences == SEQUENCES
    assert not tally.crashes, "\n".join(
        f"sequence {index} (key_fuzz.sequence(1, {index}, 15)): {keys}: {crashes}"
        for index, keys, crashes in tally.crashes
    )
    assert {"DashboardScreen", "PreviewScreen", "EditorScreen"} <= tally.screens


class Faulty(RpTuiApp):
    """The app with two keys that fail: one in its action, one in a quiet worker."""

    CSS_PATH = Path(app_module.__file__).with_name("app.tcss")
    BINDINGS = [Binding("f11", "boom"), Binding("f12", "quiet_boom")]

    def action_boom(self) -> None:
        raise ZeroDivisionError("in an action")

    def action_quiet_boom(self) -> None:
        self.fail_quietly()

    @work(exit_on_error=False)
    async def fail_quietly(self) -> None:
        raise KeyError("in a worker")


async def test_the_fuzzer_reports_what_crashes():
    sandbox = Sandbox()
    try:
        clean = await run_sequence(sandbox, ["p", "escape"], Faulty)
        action = await run_sequence(sandbox, ["f11", "p"], Faulty)
        worker = await run_sequence(sandbox, ["f12", "p"], Faulty)
        quits = await run_sequence(sandbox, ["q", "p"], Faulty)
    finally:
        sandbox.close()
    assert not clean.crashes and not clean.quit_early
    assert "ZeroDivisionError: in an action" in action.crashes[0]
    assert "KeyError('in a worker')" in worker.crashes[0]
    assert quits.quit_early and not quits.crashes
    assert sequence(1, 0) == sequence(1, 0) != sequence(2, 0)
