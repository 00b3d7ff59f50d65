"""First run anywhere: ``rp-tui init`` writes a commented example that every command
accepts; with no portfolio file the app offers one; ``--reset-demo`` works in any directory."""

import json
import subprocess
import sys

import pytest

from rp_tui.cli.init_command import EXAMPLES, example_text
from rp_tui.cli.main import main
from tests.conftest import REPO


@pytest.mark.parametrize("example", list(EXAMPLES))
def test_init_writes_an_example_that_plan_accepts(tmp_path, capsys, example):
    target = tmp_path / "mine.toml"
    assert main(["init", str(target), "--example", example]) == 0
    assert target.read_text() == example_text(example)
    assert "# Allocation method" in target.read_text()  # every key commented
    capsys.readouterr()
    assert main(["plan", "--config", str(target), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["positions"]


def test_init_refuses_to_overwrite_and_writes_into_a_directory(tmp_path, capsys):
    assert main(["init", str(tmp_path)]) == 0
    assert (tmp_path / "portfolio.toml").exists()
    assert main(["init", str(tmp_path)]) == 2
    assert "exists: keep it, or add --force" in capsys.readouterr().err
    assert main(["init", str(tmp_path), "--force", "--example", "factor-etfs"]) == 0
    assert "MTUM" in (tmp_path / "portfolio.toml").read_text()


def test_the_shipped_portfolio_is_the_multi_asset_example():
    assert (REPO / "portfolio.toml").read_text() == example_text("multi-asset")


def run_in(directory, *argv):
    return subprocess.run(
        [sys.executable, "-m", "rp_tui", *argv],
        cwd=directory,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def test_an_empty_directory_resets_the_demo_and_asks_for_init(tmp_path):
    reset = run_in(tmp_path, "--reset-demo")
    assert reset.returncode == 0 and "DEMO-MA1 reset" in reset.stdout
    app = run_in(tmp_path)  # no terminal to ask in: the fix is named
    assert app.returncode == 2 and "run rp-tui init" in app.stderr
    assert "Traceback" not in app.stderr
    plan = run_in(tmp_path, "plan")
    assert plan.returncode == 2 and "rp-tui init" in plan.stderr


def test_the_multi_asset_demo_is_not_equal_weight(capsys):
    assert main(["weights", "--config", str(REPO / "portfolio.toml"), "--format", "json"]) == 0
    weights = json.loads(capsys.readouterr().out)["weights"]
    assert max(abs(w - 1 / len(weights)) for w in weights.values()) > 0.10
    assert {"SPY", "TLT", "IEF"} <= set(weights)
