"""Figures for issue #16: speed where users wait, rp-tui beside its peers in one run.

Rows (each contender interleaved with the others, medians; the machine is shared):

1. ERC, 20 assets x 252 days: ``erc_weights`` (covariance included) beside skfolio's
   ``RiskBudgeting`` and ffn's ``calc_erc_weights`` (bt's ERC).
2. Monthly ERC backtest, 20 US stocks x 33 years (skfolio's ``load_sp500_dataset``), through
   the backtest service, frictionless as bt runs it (fractional shares, no fees, no band,
   month ends of the price file), beside bt; and the same with IBKR fees, whole shares and a
   1 % band (rp-tui only: bt has no such sizing).
3. The same as whole processes: ``rp-tui backtest … --format json`` beside a bt script
   (``python benchmarks/bench_speed.py --bt-process DIR``: imports, CSV, backtest).
4. A 1,000-point sweep (10 lookbacks x 10 bands x 5 methods x 2 calendars) on 2 workers over
   the bundled prices: ``rp-tui sweep``, beside the code of ``--old REV`` when given
   (``git archive`` of that revision), in ABBA order; wall and CPU time (the workers'
   included).
5. Event-loop lag: a backtest in a thread of the process (as the TUI ran it before) and in a
   child process (``run_in_child``, as the TUI runs it now), the risk report of the 20 stocks
   (5,000 Monte Carlo paths) with its VaR on the loop and in a child, a sweep from a thread
   worker and an emulated IBKR history download (20 symbols, 50 ms a request) on an asyncio
   loop; a 10 ms ticker's delay, max and p99 (the loop must never be blocked > 100 ms). And
   in the TUI itself (Pilot): the backtest screen on the 20 stocks, while it runs and while
   its charts of 33 years are drawn.

Peers: ``.venv/bin/pip install -e '.[bench]'`` (bt, ffn, skfolio). Run:
``.venv/bin/python benchmarks/bench_speed.py [--old fb972d3] [--skip-sweep] [--rows 2,5]``.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")
REPO = Path(__file__).resolve().parents[1]
GRID = [
    "--lookback",
    "42,63,84,105,126,147,168,189,210,252",
    "--band",
    "0,0.005,0.01,0.015,0.02,0.025,0.03,0.035,0.04,0.045",
    "--method",
    "erc,inverse-vol,hrp,min-variance,downside-erc",
    "--rebalance",
    "monthly,quarterly",
]
FRICTIONLESS = ["--fees", "none", "--band", "0", "--cash-buffer", "0", "--fractional"]


def sp500_files(folder: Path) -> tuple[Path, Path]:
    """skfolio's 20 US stocks, 1990-2022, as a price CSV and a portfolio file of 20 NYSE
    listings (the repository's policy, fees and strategy)."""
    from skfolio.datasets import load_sp500_dataset

    prices = load_sp500_dataset()
    prices.index.name = "Date"
    csv = folder / "prices.csv"
    prices.to_csv(csv, date_format="%Y-%m-%d")
    text = (REPO / "portfolio.toml").read_text()
    head = text[: text.index("\n[[assets]]") + 1]
    assets = "".join(
        f'[[assets]]\nsymbol = "{s}"\nexchange = "SMART"\nprimary_exchange = "NYSE"\n'
        'currency = "USD"\n\n'
        for s in prices.columns
    )
    config = folder / "portfolio.toml"
    config.write_text(head + assets)
    return config, csv


def multi_asset_files(folder: Path) -> tuple[Path, Path]:
    """The bundled multi-asset prices as a CSV and a minimal portfolio file that older
    revisions read too (ERC, 252-day lookback, monthly, band 1 %, buffer 1 %, IBKR Fixed)."""
    from rp_tui.inputs.prices import load_prices

    history = load_prices()
    csv = folder / "multi-asset.csv"
    rows = [",".join(("Date", *history.symbols))]
    rows += [
        ",".join((str(d), *(repr(float(x)) for x in row)))
        for d, row in zip(history.dates, history.closes, strict=True)
    ]
    csv.write_text("\n".join(rows) + "\n")
    assets = "".join(
        f'\n[[assets]]\nsymbol = "{s}"\nexchange = "SMART"\nprimary_exchange = "ARCA"\n'
        'currency = "USD"\n'
        for s in history.symbols
    )
    config = folder / "multi-asset.toml"
    config.write_text(
        'base_currency = "USD"\n\n[strategy]\nmethod = "erc"\nlookback = 252\n\n'
        '[rebalancing]\nfrequency = "monthly"\nband = 0.01\ncash_buffer = 0.01\n\n'
        '[fees]\nplan = "ibkr-fixed"\n' + assets
    )
    return config, csv


def interleaved(contenders: dict, rounds: int) -> dict[str, float]:
    """Median seconds per call of each ``name: (fn, calls_per_round, every_nth_round)``."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for r in range(rounds):
        for name, (fn, number, every) in contenders.items():
            if r % every:
                continue
            start = time.perf_counter()
            for _ in range(number):
                fn()
            times[name].append((time.perf_counter() - start) / number)
    return {name: statistics.median(t) for name, t in times.items()}


def erc_row() -> None:
    from skfolio.optimization import RiskBudgeting

    from rp_tui.domain.allocation import erc_weights
    from rp_tui.domain.returns import sample_covariance

    rng = np.random.default_rng(20)  # 20 assets, 252 days of a 3-factor model: seeded
    loadings = rng.normal(size=(20, 3))
    returns = rng.normal(size=(252, 3)) @ loadings.T * 0.006 + rng.normal(size=(252, 20)) * 0.01
    contenders = {
        "rp-tui erc_weights (covariance + solve)": (
            lambda: erc_weights(sample_covariance(returns)),
            500,
            1,
        ),
        "skfolio RiskBudgeting": (lambda: RiskBudgeting().fit(returns), 3, 1),
    }
    try:
        import pandas as pd
        from ffn.core import calc_erc_weights

        frame = pd.DataFrame(returns)
        contenders["ffn calc_erc_weights (bt's ERC)"] = (
            lambda: calc_erc_weights(frame, covar_method="standard"),
            20,
            1,
        )
    except ImportError:
        print("  (ffn is not installed: pip install ffn)")
    medians = interleaved(contenders, 9)
    ours = medians["rp-tui erc_weights (covariance + solve)"]
    print("1. ERC, 20 assets x 252 days (median of 9 interleaved rounds)")
    for name, seconds in medians.items():
        print(f"   {name:<42} {seconds * 1e3:9.3f} ms  {seconds / ours:7.1f}x rp-tui")


def backtest_row(config: Path, csv: Path) -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_bt import run_bt

    from rp_tui.services.backtest import BacktestOptions, backtest
    from rp_tui.services.policy import PolicyOverrides
    from rp_tui.services.session import open_session

    session = open_session(config, csv)
    bt_like = BacktestOptions(
        benchmarks=(),
        capital=1e6,
        fees="none",
        policy=PolicyOverrides(band=0.0, cash_buffer=0.0, fractional=True, calendar="file"),
    )
    real = BacktestOptions(benchmarks=(), capital=1e6)
    prices = session.universe.closes
    import pandas as pd

    frame = pd.DataFrame(
        prices, index=pd.DatetimeIndex(session.universe.dates), columns=session.universe.symbols
    )
    backtest(session, bt_like)  # first calls out of the timings, for both
    run_bt(frame.iloc[:300])
    medians = interleaved(
        {
            "rp-tui backtest service, bt's rules": (lambda: backtest(session, bt_like), 1, 1),
            "rp-tui, IBKR Fixed, whole shares, band 1%": (lambda: backtest(session, real), 1, 1),
            "bt.run (WeighERC over 252 rows)": (lambda: run_bt(frame), 1, 3),
        },
        9,
    )
    report = backtest(session, bt_like)
    ours = medians["rp-tui backtest service, bt's rules"]
    print(
        f"2. Monthly ERC backtest, 20 stocks x {len(frame) / 252:.0f} y, "
        f"{len(report.result.rebalance_dates)} rebalances (medians: rp-tui 9 runs, bt 3)"
    )
    for name, seconds in medians.items():
        print(f"   {name:<42} {seconds * 1e3:9.1f} ms  {seconds / ours:7.1f}x")


def run_process(argv: list[str], cwd: Path = REPO, env: dict | None = None) -> tuple[float, float]:
    """Wall and CPU seconds (children included) of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, cwd=cwd, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def process_row(config: Path, csv: Path) -> None:
    rp = [sys.executable, "-m", "rp_tui", "--config", str(config), "--prices", str(csv)]
    ours = [*rp, "backtest", "--capital", "1000000", *FRICTIONLESS, "--calendar", "file"]
    ours += ["--format", "json"]
    theirs = [sys.executable, __file__, "--bt-process", str(csv)]
    runs: dict[str, list[tuple[float, float]]] = {"ours": [], "bt": []}
    run_process(ours)  # the calendar and bytecode caches warm, for both
    for r in range(5):
        runs["ours"].append(run_process(ours))
        if r % 2 == 0:
            runs["bt"].append(run_process(theirs))
    print("3. Whole process, same backtest (medians: rp-tui 5 runs, bt 3)")
    for name, label in (("ours", "rp-tui backtest --format json"), ("bt", "bt script")):
        wall = statistics.median(w for w, _ in runs[name])
        cpu = statistics.median(c for _, c in runs[name])
        print(f"   {label:<42} {wall:7.2f} s wall  {cpu:6.2f} s CPU")


def bt_process(csv: str) -> None:
    """The bt side of row 3: what a user's bt script does (imports, CSV, backtest)."""
    import pandas as pd

    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_bt import run_bt

    run_bt(pd.read_csv(csv, index_col=0, parse_dates=True))


def sweep_row(old: str | None) -> None:
    config, csv = multi_asset_files(Path(tempfile.mkdtemp(prefix="rp-tui-sweep-")))
    argv = ["-m", "rp_tui", "--config", str(config), "--prices", str(csv), "sweep", *GRID]
    argv += ["--workers", "2", "--format", "json"]
    contenders = {"rp-tui sweep (this tree)": (REPO, None)}
    if old:
        folder = Path(tempfile.mkdtemp(prefix="rp-tui-old-"))
        archive = subprocess.run(
            ["git", "archive", old, "rp_tui"], cwd=REPO, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(folder)], check=True)
        env = {**os.environ, "PYTHONPATH": str(folder)}
        contenders[f"rp-tui sweep at {old}"] = (folder, env)
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in contenders}
    names = list(contenders)
    # ABBA cycles: the VM's speed drifts within a minute, so a fixed order can favour one
    # side (old-then-new pairs gave 0.85 where an ABBA run of the same trees gave 0.92)
    for order in (names, names[::-1]) * (2 if old else 1):
        for name in order:
            cwd, env = contenders[name]
            results[name].append(run_process([sys.executable, *argv], cwd, env))
    runs = len(next(iter(results.values())))
    print(f"4. 1,000-point sweep, 2 workers, bundled multi-asset prices (medians of {runs}, ABBA)")
    for name, times in results.items():
        wall = statistics.median(w for w, _ in times)
        cpu = statistics.median(c for _, c in times)
        fastest = min(w for w, _ in times)
        print(f"   {name:<42} {wall:7.1f} s wall  {cpu:6.1f} s CPU  (fastest {fastest:.1f} s)")


class _FakeIB:
    """Just enough of ``ib_async.IB`` for :class:`HistoryMixin`: 50 ms per request."""

    class _Event:
        def __iadd__(self, handler):
            return self

        def __isub__(self, handler):
            return self

    def __init__(self, dates, closes):
        self.errorEvent, self.dates, self.closes = self._Event(), dates, closes

    async def reqHistoricalDataAsync(self, contract, **_kw):
        await asyncio.sleep(0.05)  # the network and TWS
        from types import SimpleNamespace

        column = self.closes[:, contract.conId]
        return [
            SimpleNamespace(date=d, close=float(c)) for d, c in zip(self.dates, column, strict=True)
        ]


def emulated_broker(history, folder: Path):
    from types import SimpleNamespace

    from rp_tui.broker.ibkr.history import HistoryCache, HistoryMixin, Pacer

    class Emulated(HistoryMixin):
        address = "emulated TWS"

        async def connect(self):
            return None

        async def qualify(self):
            return None

        async def ask(self, awaitable, what, timeout=None):  # ConnectionMixin's, no drop
            return await awaitable

    broker = Emulated()
    broker.assets = tuple(SimpleNamespace(symbol=s) for s in history.symbols)
    broker.contracts = {s: SimpleNamespace(conId=i) for i, s in enumerate(history.symbols)}
    broker.ib = _FakeIB([str(d) for d in history.dates[-600:]], history.closes[-600:])
    broker.history_cache, broker.pacer = HistoryCache(folder), Pacer()
    return broker


async def ticker(stop: asyncio.Event, record) -> None:
    """Every 10 ms until ``stop``: ``record(at, lag)`` with the ``perf_counter`` time and
    the delay beyond the 10 ms asked for (seconds): how long the event loop was held."""
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(0.01)
        now = time.perf_counter()
        record(now, now - last - 0.01)
        last = now


def lag_row(config: Path, csv: Path) -> None:
    from rp_tui.services.backtest import BacktestOptions, backtest
    from rp_tui.services.child_process import run_in_child
    from rp_tui.services.risk_report import risk_report
    from rp_tui.services.session import make_broker, open_session
    from rp_tui.services.sweep import grid, run_sweep

    session = open_session(config, csv)

    def in_child(*args):
        return run_in_child(backtest, args)

    in_child(session, BacktestOptions(capital=1e6, start="2020-01-01"))  # the server starts
    points = grid([63, 126, 252], [0.0, 0.01, 0.02, 0.03], ["erc", "hrp"], ["monthly"])
    folder = Path(tempfile.mkdtemp(prefix="rp-tui-history-"))

    async def measure() -> dict[str, list[float]]:
        lags: dict[str, list[float]] = {}
        current = ["idle"]
        stop = asyncio.Event()

        async def phase(name: str) -> None:
            """Let the ticker see the end of the last phase (a block is charged to the work
            that caused it), then name the next."""
            await asyncio.sleep(0.03)
            current[0] = name

        def charge(_at: float, lag: float) -> None:  # to the work running now
            lags.setdefault(current[0], []).append(lag)

        tick = asyncio.create_task(ticker(stop, charge))
        await asyncio.sleep(1.0)
        await phase("backtest in a thread of this process (before)")
        await asyncio.to_thread(backtest, session, BacktestOptions(capital=1e6))
        await phase("backtest in a child process (as the TUI runs it)")
        await asyncio.to_thread(in_child, session, BacktestOptions(capital=1e6))
        broker = make_broker(session, "demo")
        await phase("risk report, Monte Carlo on the loop (before)")
        await risk_report(session, broker)  # the TUI's 5,000 paths
        await phase("risk report, Monte Carlo in a child (the TUI)")
        await risk_report(session, broker, in_child=True)
        await phase("sweep, 24 points (thread worker, 2 processes)")
        await asyncio.to_thread(
            run_sweep, points, str(config), str(csv), BacktestOptions(benchmarks=()), 2
        )
        await phase("IBKR history download, 20 symbols (emulated)")
        await emulated_broker(session.universe, folder).history(500)
        await phase("all three at once (a 6-point sweep)")
        await asyncio.gather(
            asyncio.to_thread(in_child, session, BacktestOptions(capital=1e6)),
            asyncio.to_thread(
                run_sweep, points[:6], str(config), str(csv), BacktestOptions(benchmarks=()), 2
            ),
            emulated_broker(session.universe, Path(tempfile.mkdtemp())).history(500),
        )
        stop.set()
        await tick
        return lags

    lags = asyncio.run(measure())
    print("5. Event-loop lag of a 10 ms ticker (limit: never blocked > 100 ms)")
    for name, values in lags.items():
        ms = np.array(values) * 1e3
        print(
            f"   {name:<48} max {ms.max():6.1f} ms  p99 {np.percentile(ms, 99):6.1f} ms"
            f"  ({len(ms)} ticks)"
        )


def tui_row(config: Path, csv: Path) -> None:
    """The TUI's own event loop (Pilot, 120x40): ``b`` on the dashboard, the 20-stock
    backtest in its child process, then the charts of 33 years drawn."""
    from rp_tui.services.session import make_broker, open_session
    from rp_tui.ui.app import RpTuiApp
    from rp_tui.ui.backtest_screen import BacktestScreen

    arrived: list[float] = []  # when the report reached the event loop
    show = BacktestScreen._show

    def timed_show(screen, report):
        arrived.append(time.perf_counter())
        show(screen, report)

    BacktestScreen._show = timed_show

    async def measure() -> tuple[float, float, float]:
        session = open_session(config, csv)
        app = RpTuiApp(session, make_broker(session, "demo"))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(2.0)  # the dashboard settles
            lags: list[tuple[float, float]] = []
            stop = asyncio.Event()

            tick = asyncio.create_task(ticker(stop, lambda at, lag: lags.append((at, lag))))
            start = time.perf_counter()
            await pilot.press("b")
            while getattr(app.screen, "report", None) is None:
                await pilot.pause(0.02)
            await pilot.pause(2.0)  # the charts are drawn
            stop.set()
            await tick
        done = arrived[0]
        running = max((lag for at, lag in lags if at <= done), default=0.0)
        after = max((lag for at, lag in lags if at > done), default=0.0)
        return done - start, running, after

    try:
        seconds, running, after = asyncio.run(measure())
    finally:
        BacktestScreen._show = show
    print(
        f"   {'the TUI: b, screen, backtest (child process)':<48} max {running * 1e3:6.1f} ms"
        f"  ({seconds:.2f} s to the report)"
    )
    print(f"   {'the TUI: report shown, first paint of charts':<48} max {after * 1e3:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", metavar="REV", help="also time the sweep at this revision")
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--rows", default="1,2,3,4,5", help="which rows, e.g. 2,5")
    parser.add_argument("--bt-process", metavar="CSV", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bt_process:
        bt_process(args.bt_process)
        return
    os.environ.setdefault("RP_TUI_DATA_DIR", tempfile.mkdtemp(prefix="rp-tui-bench-"))
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} cores, load average {load:.1f} at the start")
    config, csv = sp500_files(Path(tempfile.mkdtemp(prefix="rp-tui-sp500-")))
    rows = {int(r) for r in args.rows.split(",")} - ({4} if args.skip_sweep else set())
    if 1 in rows:
        erc_row()
    if 2 in rows:
        backtest_row(config, csv)
    if 3 in rows:
        process_row(config, csv)
    if 4 in rows:
        sweep_row(args.old)
    if 5 in rows:
        lag_row(config, csv)
        tui_row(config, csv)
    threading.enumerate()  # nothing left running: the pools closed with their runs


if __name__ == "__main__":
    main()
