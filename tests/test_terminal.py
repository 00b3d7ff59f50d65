"""End to end in a real terminal: rp-tui in tmux at 80x24 (and 120x40), driven by keys, read
off the screen; and what rp-tui alone writes to stderr."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import PORTFOLIO, REPO

tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def tmux_command(name: str, *args: str) -> list[str]:
    """A tmux command on the session's own server (socket ``name``): a server shared between
    tests can be exiting after the last test's session was killed, and a new session then
    fails with "server exited unexpectedly"."""
    return ["tmux", "-L", name, *args]


def stop_tmux(name: str) -> None:
    """Stop the session's server and remove its socket (kill-server leaves the file)."""
    subprocess.run(tmux_command(name, "kill-server"), capture_output=True)
    folder = Path(os.environ.get("TMUX_TMPDIR", "/tmp")) / f"tmux-{os.getuid()}"
    (folder / name).unlink(missing_ok=True)


def screen(name: str) -> str:
    return subprocess.run(
        tmux_command(name, "capture-pane", "-p", "-t", name),
        capture_output=True,
        text=True,
        check=True,
    ).stdout


WAIT = 90.0  # seconds: reached only by a test that fails anyway (a loaded machine is slow)


def wait_for(name: str, text: str, timeout: float = WAIT) -> str:
    """Poll the pane until ``text`` is on it; the pane's text."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = screen(name)
        if text in shown:
            return shown
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; the screen shows:\n{screen(name)}")


def wait_gone(name: str, text: str, timeout: float = WAIT) -> str:
    """Poll the pane until ``text`` is no longer on it; the pane's text."""
    deadline = time.monotonic() + timeout
    while text in (shown := screen(name)):
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} stayed; the screen shows:\n{shown}")
        time.sleep(0.2)
    return shown


def keys(name: str, *typed: str) -> None:
    subprocess.run(tmux_command(name, "send-keys", "-t", name, *typed), check=True)


@tmux
def test_dashboard_preview_confirm_and_quit_in_tmux(isolated_data_dir):
    name = f"rp-tui-{uuid.uuid4().hex[:8]}"
    command = (
        f"cd {REPO} && RP_TUI_DATA_DIR={isolated_data_dir} TERM=xterm-256color "
        f"{sys.executable} -m rp_tui --config {PORTFOLIO}; sleep 5"
    )
    subprocess.run(
        tmux_command(name, "new-session", "-d", "-s", name, "-x", "80", "-y", "24", command),
        check=True,
    )
    try:
        wait_for(name, "VLUE")
        shown = wait_for(name, "to rebalance")  # the plan, after the holdings and NAV
        assert all(symbol in shown for symbol in ("MTUM", "QUAL", "SIZE", "VLUE"))
        assert "demo" in shown.lower()
        keys(name, "p")
        shown = wait_for(name, "SELL")
        assert "QUAL" in shown and "BUY" in shown
        keys(name, "Enter")
        wait_for(name, "y: execute")
        keys(name, "y")
        wait_for(name, "3 orders filled")
        state = (isolated_data_dir / "demo-account.json").read_text()
        assert '"USMV": 280.0' in state  # 254 held + 26 bought, saved before the screen said so
        keys(name, "Escape")  # close the per-order results
        wait_gone(name, "Orders sent")
        wait_for(name, "nothing to trade")  # the plan after the trades
        keys(name, "q")
        wait_gone(name, "USMV")  # q quits and gives the terminal back
    finally:
        stop_tmux(name)


def rp_tui_command() -> str:
    """The installed ``rp-tui`` script beside this Python (else ``python -m rp_tui``), on
    this checkout's code."""
    script = Path(sys.executable).with_name("rp-tui")
    command = str(script) if script.exists() else f"{sys.executable} -m rp_tui"
    return f"PYTHONPATH={REPO} {command}"


@tmux
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_first_run_in_an_empty_folder_offers_an_example(tmp_path, isolated_data_dir, size):
    folder = tmp_path / "empty"
    folder.mkdir()
    name = f"rp-tui-{uuid.uuid4().hex[:8]}"
    command = (
        f"cd {folder} && RP_TUI_DATA_DIR={isolated_data_dir} TERM=xterm-256color "
        f"{rp_tui_command()}; sleep 5"
    )
    width, height = size
    subprocess.run(
        tmux_command(
            name, "new-session", "-d", "-s", name, "-x", str(width), "-y", str(height), command
        ),
        check=True,
    )
    try:
        shown = wait_for(name, "Choose 1 or 2 (Enter: 1, q: quit):")
        assert "multi-asset" in shown and "(default)" in shown
        keys(name, "Enter")  # the default: the stocks-and-bonds example
        wait_for(name, "NAV")  # the holdings first, while the targets are computed ...
        shown = wait_for(name, "orders to rebalance")  # ... then the targets and orders
        assert (folder / "portfolio.toml").exists()
        rows = {
            line.split()[0]: line
            for line in shown.splitlines()
            if line.split() and line.split()[0] in ("SPY", "EFA", "EEM", "TLT", "IEF", "TIP", "LQD")
        }
        assert list(rows) == ["SPY", "EFA", "EEM", "TLT", "IEF", "TIP", "LQD"]
        targets = {s: float(re.findall(r"(-?\d+\.\d+)%", line)[1]) for s, line in rows.items()}
        # risk parity, not 1/n: bonds carry more weight than equities
        assert max(abs(t - 100 / 7) for t in targets.values()) > 10, targets
        assert 24 < targets["IEF"] < 27, targets
        assert "demo DEMO-MA1 PAPER" in shown
        keys(name, "q")
        wait_gone(name, "Largest |drift|")  # the prompt above stays: it names LQD too
    finally:
        stop_tmux(name)


def test_an_unreachable_tws_is_told_once_in_rp_tuis_words(isolated_data_dir):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = subprocess.run(
        [sys.executable, "-m", "rp_tui", "plan", "--broker", "ibkr", "--port", str(port),
         "--config", str(PORTFOLIO)],
        capture_output=True, text=True, cwd=REPO, timeout=120,
        env={**os.environ, "RP_TUI_DATA_DIR": str(isolated_data_dir)},
    )  # fmt: skip
    assert done.returncode == 2
    # ib_async's own lines ("API connection failed", "Make sure API port ...") stay off
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("rp-tui: error: cannot reach TWS"), lines
