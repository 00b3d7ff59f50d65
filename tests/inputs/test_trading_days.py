"""Trading days kept on disk: several processes that start on an empty cache at once (a
sweep's workers) all get their calendar, and a cache that cannot be written is not fatal."""

import multiprocessing
import os

import numpy as np
import pytest

from rp_tui.inputs import trading_days

START, END = np.datetime64("2014-01-02"), np.datetime64("2023-01-12")


def _sessions_after(start, renames, answers, folder):
    """One of the processes: builds the calendar with the others, and renames its file only
    when every process has written its own (the interleaving that broke the fixed name)."""
    os.environ["RP_TUI_DATA_DIR"] = folder
    trading_days.trading_sessions.cache_clear()  # (forked from a process that may have it)
    rename = os.replace

    def rename_when_all_have_written(*args, **kwargs):
        renames.wait()
        rename(*args, **kwargs)

    os.replace = rename_when_all_have_written  # (this process only: it is a forked child)
    start.wait()
    try:
        days = trading_days.trading_sessions("XNYS", START, END)
        answers.put(("ok", len(days)))
    except Exception as exc:  # what the test reports: no process may fail
        answers.put((repr(exc), 0))


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="fork")
def test_processes_writing_the_same_calendar_at_once_all_get_it(tmp_path):
    """Eight processes on an empty cache, each renaming (os.replace) only after all have
    written: with one fixed temporary name, the first rename took the file the seven others
    then renamed (FileNotFoundError, a sweep's worker failing); each has its own now."""
    context = multiprocessing.get_context("fork")
    start, renames = context.Barrier(8, timeout=60), context.Barrier(8, timeout=60)
    answers = context.Queue()
    workers = [
        context.Process(target=_sessions_after, args=(start, renames, answers, str(tmp_path)))
        for _ in range(8)
    ]
    for worker in workers:
        worker.start()
    got = [answers.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join()
    assert {status for status, _ in got} == {"ok"}, got
    kept = list((tmp_path / "calendars").iterdir())
    assert [p.suffix for p in kept] == [".npy"]  # no temporary file left behind
    assert len(np.load(kept[0])) == got[0][1] > 2_000


def test_a_cache_that_cannot_be_written_still_gives_the_calendar(tmp_path, monkeypatch):
    (tmp_path / "calendars").write_text("a file where the folder should be")
    monkeypatch.setenv("RP_TUI_DATA_DIR", str(tmp_path))
    trading_days.trading_sessions.cache_clear()
    days = trading_days.trading_sessions("XNYS", START, END)
    assert days[0] == START and days[-1] == END and not days.flags.writeable
    trading_days.trading_sessions.cache_clear()
