"""Figures for issue #3, against the project's TWS emulator on loopback (no IBKR account).

- connect + plan, cold (history fetched) and warm (history from the day's disk cache);
- messages each way per plan (connect excluded, then included);
- launch to a populated dashboard in the TUI (Textual's headless Pilot, 80x24);
- ``rp-tui plan --broker ibkr`` as a whole process.

Run: ``.venv/bin/python benchmarks/bench_ibkr.py``. Prints a table; asserts nothing.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def ibkr_config(folder: Path) -> Path:
    text = (REPO / "portfolio.toml").read_text().replace('kind = "demo"', 'kind = "ibkr"')
    path = folder / "portfolio.toml"
    path.write_text(text.replace("read_only = true", "read_only = false"))
    return path


async def measure(folder: Path) -> list[tuple[str, str, str]]:
    from rp_tui.services.plan import build_plan
    from rp_tui.services.session import make_broker, open_session
    from rp_tui.tws_emulator import TwsEmulator, demo_scenario

    rows = []
    session = open_session(ibkr_config(folder))
    async with TwsEmulator(demo_scenario()) as emu:
        for label in ("cold: history fetched", "warm: history cached"):
            broker = make_broker(session, "ibkr", port=emu.port)
            start = time.perf_counter()
            await broker.connect()
            connected = time.perf_counter()
            sent_before = sum(sum(s.sent.values()) for s in emu.sessions)
            received_before = len(emu.received)
            await build_plan(session, broker)
            done = time.perf_counter()
            sent = sum(sum(s.sent.values()) for s in emu.sessions) - sent_before
            received = len(emu.received) - received_before
            rows.append(
                (
                    f"connect + plan, {label}",
                    f"{(done - start) * 1e3:.0f} ms",
                    f"connect {(connected - start) * 1e3:.0f} ms",
                )
            )
            rows.append(
                (
                    f"  messages per plan, {label}",
                    f"{received} / {sent}",
                    "client->TWS / TWS->client, connect excluded",
                )
            )
            broker.disconnect()
        rows.append(
            (
                "  messages incl. both connects",
                f"{len(emu.received)}",
                f"client->TWS; TWS->client {sum(sum(s.sent.values()) for s in emu.sessions)}",
            )
        )

        from rp_tui.ui.app import RpTuiApp

        times = []
        for _ in range(3):
            broker = make_broker(session, "ibkr", port=emu.port)
            app = RpTuiApp(session, broker)
            start = time.perf_counter()
            async with app.run_test(size=(80, 24)) as pilot:
                while app.plan is None:
                    await pilot.pause(0.005)
                times.append(time.perf_counter() - start)
            broker.disconnect()
        rows.append(
            (
                "TUI launch to populated dashboard",
                f"{statistics.median(times) * 1e3:.0f} ms",
                "Pilot 80x24, median of 3, history cached",
            )
        )

        proc_times = []
        for _ in range(3):
            start = time.perf_counter()
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "rp_tui",
                "plan",
                "--config",
                str(folder / "portfolio.toml"),
                "--broker",
                "ibkr",
                "--port",
                str(emu.port),
                "--format",
                "json",
                stdout=asyncio.subprocess.DEVNULL,
            )
            await proc.wait()
            proc_times.append(time.perf_counter() - start)
        rows.append(
            (
                "rp-tui plan --broker ibkr, whole process",
                f"{statistics.median(proc_times) * 1e3:.0f} ms",
                "median of 3",
            )
        )
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["RP_TUI_DATA_DIR"] = str(Path(tmp) / "data")
        rows = asyncio.run(measure(Path(tmp)))
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"{name.ljust(width)}  {value:>10}  {note}")


if __name__ == "__main__":
    main()
