"""run_in_child: a backtest in a child process gives the in-process report, reports progress,
stops on cancel, and brings back its errors (or says that the process died)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from rp_tui.domain.replay import BacktestCancelled
from rp_tui.errors import ConfigError, DataError, UserError
from rp_tui.services.backtest import BacktestOptions, backtest
from rp_tui.services.child_process import ChildProcessLost, run_in_child
from rp_tui.services.session import open_session


def _dies(progress, cancelled):
    os.kill(os.getpid(), signal.SIGKILL)


def _raises_config_error(progress, cancelled):
    raise ConfigError("portfolio.toml", "bad band", key="rebalancing.band", line=3)


def _environment(name, progress, cancelled):
    return os.environ.get(name), os.getcwd()


def _waits_for_cancel(progress, cancelled):
    progress(0.5)
    while not cancelled():
        time.sleep(0.01)
    raise BacktestCancelled


def _ignores_cancel(progress, cancelled):
    time.sleep(60)


@pytest.fixture(scope="module")
def session():
    return open_session("portfolio.toml")


def test_the_report_is_the_in_process_one(session):
    options = BacktestOptions(start="2015-01-01")
    fractions = []
    child = run_in_child(backtest, (session, options), fractions.append)
    here = backtest(session, options)
    assert np.array_equal(child.result.equity, here.result.equity)
    assert np.array_equal(child.result.trades.quantities, here.result.trades.quantities)
    assert child.to_json() == here.to_json()
    assert fractions and fractions[-1] == 1.0 and fractions == sorted(fractions)


def test_errors_come_back_as_raised(session):
    with pytest.raises(DataError, match="--start 'nope' is not an ISO date"):
        run_in_child(backtest, (session, BacktestOptions(start="nope")))


def test_an_error_that_does_not_pickle_comes_back_with_its_message():
    with pytest.raises(UserError, match=r"portfolio.toml:3: rebalancing.band: bad band"):
        run_in_child(_raises_config_error, ())


def test_the_child_gets_the_callers_environment_and_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("RP_TUI_CHILD_TEST", "set after the server started")
    monkeypatch.chdir(tmp_path)
    assert run_in_child(_environment, ("RP_TUI_CHILD_TEST",)) == (
        "set after the server started",
        str(tmp_path),
    )


def test_cancel_reaches_the_child():
    seen = []
    with pytest.raises(BacktestCancelled):
        run_in_child(_waits_for_cancel, (), seen.append, lambda: bool(seen))
    assert seen == [0.5]


def test_a_child_that_ignores_cancel_is_killed(monkeypatch):
    monkeypatch.setattr("rp_tui.services.child_process._GRACE_SECONDS", 0.2)
    start = time.monotonic()
    with pytest.raises(ChildProcessLost, match="without a result"):
        run_in_child(_ignores_cancel, (), None, lambda: True)
    assert time.monotonic() - start < 30


def test_a_child_that_dies_is_reported():
    with pytest.raises(ChildProcessLost, match=r"exit code -9"):
        run_in_child(_dies, ())


def test_without_processes_it_runs_here(monkeypatch):
    def no_processes():
        raise OSError("[Errno 38] Function not implemented")

    monkeypatch.setattr("rp_tui.services.child_process._context", no_processes)
    assert run_in_child(_pid, ()) == os.getpid()


def _pid(progress, cancelled):
    assert not cancelled()
    progress(1.0)
    return os.getpid()


def test_a_working_folder_gone_meanwhile_is_reported(tmp_path, monkeypatch):
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    monkeypatch.setattr(os, "getcwd", lambda: str(gone))  # (os.getcwd itself would fail)
    with pytest.raises(ChildProcessLost, match="exit code 1"):
        run_in_child(_pid, ())


# a child that fails inside multiprocessing's start-up: its argument cannot be unpickled
UNPICKLABLE_ARGUMENT = """
import operator
from rp_tui.services.child_process import ChildProcessLost, run_in_child

class Unpicklable:  # unpickling it computes 1 / 0
    def __reduce__(self):
        return operator.truediv, (1, 0)

try:
    run_in_child(print, (Unpicklable(),))
except ChildProcessLost as exc:
    print("lost:", exc)
"""


def test_a_child_failing_to_start_prints_nothing_on_the_callers_terminal(tmp_path):
    """The forkserver's stderr is the caller's (the TUI draws on it): a child that fails
    before its own code runs must not print a traceback there; the caller is told."""
    ran = subprocess.run(
        [sys.executable, "-c", UNPICKLABLE_ARGUMENT],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "lost: the computation's process ended without a result" in ran.stdout
    assert ran.stderr == "", ran.stderr


ANOTHER_POOLS_WORKER = """
import multiprocessing
import sys


def job():
    import rp_tui.services.child_process  # first imported in a process another server forked

    print("still heard", file=sys.stderr, flush=True)


if __name__ == "__main__":
    worker = multiprocessing.get_context("forkserver").Process(target=job)
    worker.start()
    worker.join()
"""


def test_only_its_own_server_is_silenced(tmp_path):
    """A process forked by a forkserver that is not rp-tui's (another pool's worker: the
    default start method from Python 3.14) keeps its stderr when it imports this module."""
    script = tmp_path / "pool.py"
    script.write_text(ANOTHER_POOLS_WORKER)
    ran = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "still heard" in ran.stderr, ran.stderr
