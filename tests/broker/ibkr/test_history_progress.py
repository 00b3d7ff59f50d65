"""IBKR history downloads report their progress: symbol n of m, cache hits, pacing waits."""

from __future__ import annotations

from rp_tui.broker.ibkr.history import Pacer
from rp_tui.cli.progress import HistoryBar, attach_history_bar


async def test_each_symbol_is_reported_then_done(connect):
    broker = connect()
    heard: list[tuple] = []
    broker.history_progress = lambda *report: heard.append(report)
    await broker.history(60)
    symbols = [a.symbol for a in broker.assets]
    n = len(symbols)
    assert heard[:-1] == [(i, n, s, "requesting") for i, s in enumerate(symbols)]
    assert heard[-1] == (n, n, "", "done")
    heard.clear()
    await broker.history(60)  # the same day: from the disk cache
    assert heard[:-1] == [(i, n, s, "cached") for i, s in enumerate(symbols)]


async def test_pacing_waits_are_named_before_the_pause():
    now = [0.0]
    told: list[tuple[float, str]] = []

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    pacer = Pacer(clock=lambda: now[0], sleep=sleep)
    await pacer.wait("a", lambda s, why: told.append((s, why)))
    await pacer.wait("a", lambda s, why: told.append((s, why)))
    assert told == [(15.0, "no identical request within 15 s")]
    for i in range(58):
        await pacer.wait(f"k{i}")
    await pacer.wait("late", lambda s, why: told.append((s, why)))
    assert told[-1][1] == "60 requests per 10 min" and told[-1][0] > 0


def test_the_cli_shows_history_only_on_a_terminal_and_in_text(connect, monkeypatch):
    broker = connect()
    attach_history_bar(broker, "json")
    assert broker.history_progress is None
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    attach_history_bar(broker, "text")
    assert isinstance(broker.history_progress, HistoryBar)
