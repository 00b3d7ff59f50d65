"""End to end in a real terminal: rp-tui in tmux at 80x24, driven by keys, read off the screen."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid

import pytest

from tests.conftest import PORTFOLIO, REPO

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def screen(name: str) -> str:
    return subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True, check=True
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
    subprocess.run(["tmux", "send-keys", "-t", name, *typed], check=True)


def test_dashboard_preview_confirm_and_quit_in_tmux(isolated_data_dir):
    name = f"rp-tui-{uuid.uuid4().hex[:8]}"
    command = (
        f"cd {REPO} && RP_TUI_DATA_DIR={isolated_data_dir} TERM=xterm-256color "
        f"{sys.executable} -m rp_tui --config {PORTFOLIO}; sleep 5"
    )
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", name, "-x", "80", "-y", "24", command], check=True
    )
    try:
        wait_for(name, "VLUE")
        shown = wait_for(name, "NAV")
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
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
