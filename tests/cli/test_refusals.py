"""Command-line inputs that used to end in a traceback or be silently accepted (issue #10):
each is refused with exit status 2 and a message naming the option and the fix."""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from rp_tui.cli.main import main
from rp_tui.errors import ConfigError
from rp_tui.inputs.portfolio_file import parse_portfolio
from tests.conftest import PORTFOLIO, REPO

TEXT = PORTFOLIO.read_text()


def run(capsys, *argv):
    code = main([*argv, "--config", str(PORTFOLIO)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["backtest", "--band", "5"], "--band: must be in [0, 0.5)"),
        (["backtest", "--slippage-bp", "-50"], "--slippage-bp: must be in [0, 1000]"),
        (["sweep", "--workers", "0"], "--workers: must be in [1, 1024]"),
        (["risk", "--paths", "0"], "--paths: must be in [1000, 200000]"),
        (["risk", "--seed", "-1"], "--seed: must be in [0, 4294967295]"),
        (["weights", "--lookback", "5"], "--lookback: must be in [20, 5000]"),
        (["backtest", "--capital", "inf"], "--capital: must be a finite number"),
        (["backtest", "--contribution", "nan"], "--contribution: must be a finite number"),
        (["backtest", "--min-trade", "-5"], "--min-trade: must be in [0, 1e+12]"),
        (["backtest", "--max-commission-ratio", "-1"], "--max-commission-ratio: must be in (0"),
        (
            ["backtest", "--benchmark", "MTUM:0.6,USMV:0.6"],
            "MTUM:0.6,USMV:0.6: the weights sum to 1.2, not 1",
        ),
        (["backtest", "--benchmark", "MTUM:nan,USMV:1"], "weights must be > 0, got 'nan'"),
        (["backtest", "--benchmark", "MTUM,USMV"], "give every symbol of a mix its weight"),
        (["backtest", "--benchmark", "MTUM:0.5,mtum:0.5"], "mtum is listed twice"),
        (["backtest", "--start", "someday"], "--start: 'someday' is not an ISO date"),
        (["weights", "--as-of", "June"], "--as-of: 'June' is not an ISO date"),
        (["sweep", "--band", "0.01,nan"], "--band: must be a finite number in [0, 0.5)"),
        (["sweep", "--lookback", "63,5"], "--lookback: must be in [20, 5000]"),
        (["plan", "--port", "0"], "--port: must be in [1, 65535]"),
        (["plan", "--client-id", "x"], "--client-id: 'x' is not a whole number"),
    ],
)
def test_out_of_range_options_exit_2_naming_the_option(capsys, argv, needle):
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--config", str(PORTFOLIO)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and needle in err, err
    assert "np." not in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("option", "config_line", "values"),
    [
        ("--band", "band = 0.01", ["-0.1", "0", "0.49", "0.5", "5", "nan", "inf"]),
        ("--lookback", "lookback = 252", ["19", "20", "5000", "5001"]),
        ("--port", "port = 7497", ["0", "1", "65535", "65536"]),
    ],
)
def test_the_command_line_and_the_config_accept_the_same_values(option, config_line, values):
    """One table of ranges: what ``band = X`` refuses, ``--band X`` refuses too."""
    from rp_tui.cli.parser import build_parser

    command = "plan" if option == "--port" else "backtest"
    for value in values:
        key = config_line.split(" =")[0]
        try:
            parse_portfolio(TEXT.replace(config_line, f"{key} = {value}", 1), Path("p.toml"))
            config_ok = True
        except ConfigError:
            config_ok = False
        try:
            build_parser().parse_args([command, option, value])
            cli_ok = True
        except SystemExit:
            cli_ok = False
        assert cli_ok == config_ok, (option, value)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (
            ["weights", "--as-of", "2030-01-01"],
            "--as-of 2030-01-01 is after the last price, 2022-12-28",
        ),
        (
            ["backtest", "--start", "2020-01-01", "--end", "2019-01-01"],
            "--start 2020-01-01 is after --end 2019-01-01",
        ),
        (["backtest", "--start", "2030-01-01"], "--start 2030-01-01 is after the last price"),
        (["backtest", "--end", "2010-01-01"], "--end 2010-01-01 is before the first price"),
        (["sweep", "--start", "2021-01-01", "--end", "2020-01-01"], "is after --end"),
        (["backtest", "--capital", "100"], "--capital 100.00 cannot buy one share of each"),
        (["sweep", "--capital", "100", "--lookback", "63"], "cannot buy one share of each"),
    ],
)
def test_contradicting_options_exit_2_before_any_work(capsys, tmp_path, argv, needle):
    out_dir = ["--out", str(tmp_path / "OUT")] if argv[0] == "backtest" else []
    code, out, err = run(capsys, *argv, *out_dir)
    assert code == 2 and out == "" and needle in err and err.startswith("rp-tui: error:"), err
    assert "bundled factors_prices" not in err.split(needle)[0], "not the price file's fault"
    assert not (tmp_path / "OUT").exists()


def test_small_capital_says_how_much_and_fractional_runs(capsys):
    code, _, err = run(capsys, "backtest", "--capital", "100")
    assert code == 2 and "raise --capital above 259.19 or add --fractional" in err
    code, out, err = run(capsys, "backtest", "--capital", "100", "--fractional", "--format", "json")
    assert code == 0 and json.loads(out)["final_value"] > 100 and err == ""


def test_a_strategy_that_never_trades_is_warned_and_its_json_stays_valid(capsys):
    code, out, err = run(
        capsys, "backtest", "--max-commission-ratio", "0.00001", "--format", "json"
    )
    doc = json.loads(out)
    assert code == 0 and doc["fees_paid"] == 0 and doc["stats"]["sharpe"] is None
    assert "warning: the strategy never traded" in err and "--max-commission-ratio" in err


def test_backtest_out_onto_a_file_or_an_unwritable_place_is_refused_before_the_work(
    capsys, tmp_path, monkeypatch
):
    import rp_tui.services.backtest as service

    monkeypatch.setattr(service, "backtest", lambda *a, **k: pytest.fail("ran the backtest"))
    a_file = tmp_path / "taken"
    a_file.write_text("keep me")
    code, _, err = run(capsys, "backtest", "--out", str(a_file))
    assert code == 2 and f"--out {a_file}: is a file, not a directory" in err
    assert a_file.read_text() == "keep me"
    code, _, err = run(capsys, "backtest", "--out", "/proc/rp-tui-out")
    assert code == 2 and "cannot create files in /proc" in err
    code, _, err = run(capsys, "backtest", "--out", str(a_file / "below"))
    assert code == 2 and "is a file, not a directory" in err


def test_sweep_out_onto_a_directory_or_an_unwritable_place_is_refused_before_the_work(
    capsys, tmp_path, monkeypatch
):
    import rp_tui.services.sweep as service

    monkeypatch.setattr(service, "run_sweep", lambda *a, **k: pytest.fail("ran the sweep"))
    code, _, err = run(capsys, "sweep", "--out", str(tmp_path))
    assert code == 2 and f"--out {tmp_path}: is a directory; name a file, such as" in err
    code, _, err = run(capsys, "sweep", "--out", "/proc/rp-tui.csv")
    assert code == 2 and "cannot create files in /proc" in err
    code, _, err = run(capsys, "sweep", "--out", str(tmp_path / "no" / "s.csv"))
    assert code == 2 and "does not exist; create it first" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_write_that_fails_after_the_work_is_still_a_message(capsys, tmp_path, monkeypatch):
    import errno

    import rp_tui.services.backtest_files as files

    def full(_files):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files, "atomic_write_files", full)
    code, _, err = run(capsys, "backtest", "--out", str(tmp_path / "bt"))
    assert code == 2 and "(No space left on device); nothing was written" in err
    assert not (tmp_path / "bt").exists()


def test_a_closed_stdout_ends_quietly(capsys, monkeypatch):
    class Closed:
        def write(self, _text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", Closed())
    assert main(["weights", "--config", str(PORTFOLIO)]) == 141
    assert capsys.readouterr().err == ""


def test_weights_into_a_pipe_closed_early_prints_no_traceback():
    """``rp-tui weights | head -3``: the reader is gone before the first write."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "rp_tui", "weights", "--config", str(PORTFOLIO)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    proc.stdout.close()  # as head does once it has its lines
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 141 and err == "", err


def test_scheduler_without_dask_names_the_install(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    code, _, err = run(capsys, "sweep", "--lookback", "63", "--scheduler", "tcp://127.0.0.1:9")
    assert code == 2 and "pip install distributed" in err and "--scheduler" in err


def test_dask_distributed_is_a_declared_dependency():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert any(d.startswith("distributed") for d in project["dependencies"])
    assert not any(d.startswith("distributed") for d in project["optional-dependencies"]["test"])
