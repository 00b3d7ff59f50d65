"""Headless commands, through ``main()`` and once through a real process."""

import csv
import json
import subprocess
import sys

import pytest

from rp_tui.cli.main import main
from tests.conftest import PORTFOLIO, REPO


def run(capsys, *argv):
    code = main([*argv, "--config", str(PORTFOLIO)])
    out, err = capsys.readouterr()
    return code, out, err


def test_weights_json(capsys):
    code, out, err = run(capsys, "weights", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and err == ""
    assert set(doc) == {"as_of", "method", "lookback", "weights", "risk_contributions", "notes"}
    assert (doc["as_of"], doc["method"], doc["lookback"]) == ("2022-12-28", "erc", 252)
    assert sum(doc["weights"].values()) == pytest.approx(1.0)
    assert all(rc == pytest.approx(0.2, rel=1e-8) for rc in doc["risk_contributions"].values())


def test_weights_options(capsys):
    code, out, _ = run(
        capsys,
        "weights",
        "--method",
        "inverse-vol",
        "--lookback",
        "60",
        "--as-of",
        "2020-03-31",
        "--format",
        "json",
    )
    doc = json.loads(out)
    assert code == 0 and (doc["method"], doc["lookback"], doc["as_of"]) == (
        "inverse-vol",
        60,
        "2020-03-31",
    )


def test_plan_json_has_fee_inclusive_orders(capsys):
    code, out, _ = run(capsys, "plan", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["base_currency"] == "USD"
    assert [o["side"] for o in doc["orders"]] == ["SELL", "SELL", "BUY"]
    assert set(doc["orders"][0]) == {
        "symbol",
        "side",
        "quantity",
        "price",
        "currency",
        "notional",
        "commission",
        "realised_gain",
        "fee_notes",
    }
    assert all(o["realised_gain"] is not None for o in doc["orders"] if o["side"] == "SELL")
    assert doc["total_commission"] == pytest.approx(sum(o["commission"] for o in doc["orders"]))
    flows = sum((-1 if o["side"] == "BUY" else 1) * o["notional"] for o in doc["orders"])
    assert doc["cash_after"] == pytest.approx(doc["cash"] + flows - doc["total_commission"])
    assert {p["symbol"] for p in doc["positions"]} == {"MTUM", "QUAL", "SIZE", "USMV", "VLUE"}


def test_backtest_json_and_out_files(capsys, tmp_path):
    code, out, _ = run(capsys, "backtest", "--format", "json", "--out", str(tmp_path / "bt"))
    doc = json.loads(out)
    assert code == 0
    assert set(doc["stats"]) >= {
        "cagr",
        "volatility",
        "sharpe",
        "sortino",
        "max_drawdown",
        "calmar",
        "best_month",
        "worst_month",
        "positive_months",
        "average_drift_at_rebalance",
        "commission_total",
        "trades",
    }
    assert set(doc["benchmarks"]) == {"equal-weight"}
    assert doc["rebalances"] == 95 and doc["fees_paid"] > 0
    with open(tmp_path / "bt" / "equity.csv") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["date", "value"] and rows[1][0] == doc["start"]
    assert float(rows[-1][1]) == pytest.approx(doc["final_value"])
    trades = list(csv.DictReader((tmp_path / "bt" / "trades.csv").read_text().splitlines()))
    assert sum(float(t["commission"]) for t in trades) == pytest.approx(doc["fees_paid"])
    assert (tmp_path / "bt" / "weights.csv").read_text().startswith("date,MTUM,QUAL")
    assert json.loads((tmp_path / "bt" / "stats.json").read_text()) == doc
    page = (tmp_path / "bt" / "report.html").read_text()
    assert page.startswith("<!doctype html>") and page.count("<svg") == 5 and "<script" not in page


def test_backtest_options_change_the_run(capsys):
    _, base, _ = run(capsys, "backtest", "--format", "json")
    _, other, _ = run(
        capsys,
        "backtest",
        "--format",
        "json",
        "--fees",
        "none",
        "--fractional",
        "--rebalance",
        "quarterly",
        "--start",
        "2016-01-01",
        "--end",
        "2021-12-31",
        "--capital",
        "5000",
        "--method",
        "inverse-vol",
        "--lookback",
        "126",
    )
    a, b = json.loads(base), json.loads(other)
    assert b["fees_paid"] == 0 and b["start"] >= "2016-01-01" and b["end"] <= "2021-12-31"
    assert b["rebalances"] < a["rebalances"]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["weights", "--as-of", "2000-01-03"], "no prices on or before 2000-01-03"),
        (["weights", "--prices", "missing.csv"], "missing.csv: cannot open"),
        (["backtest", "--calendar", "XNOPE", "--out", "OUT"], "trading calendar 'XNOPE'"),
        (["backtest", "--lookback", "2300", "--out", "OUT"], "lookback"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_writes_nothing(capsys, tmp_path, argv, needle):
    argv = [str(tmp_path / a) if a in ("OUT", "missing.csv") else a for a in argv]
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and needle in err and err.startswith("rp-tui: error:")
    assert not (tmp_path / "OUT").exists()


def test_bad_config_exits_2(capsys, tmp_path):
    bad = tmp_path / "portfolio.toml"
    bad.write_text(PORTFOLIO.read_text().replace("lookback = 252", "lookback = -1"))
    assert main(["plan", "--config", str(bad)]) == 2
    assert f"{bad}:" in capsys.readouterr().err


def test_reset_demo_restores_the_seeded_account(capsys, isolated_data_dir):
    run(capsys, "plan")
    state = isolated_data_dir / "demo-account.json"
    state.write_text(state.read_text().replace('"cash": ', '"cash": 1'))
    code = main(["--reset-demo", "--config", str(PORTFOLIO)])
    assert code == 0 and "reset" in capsys.readouterr().out
    assert json.loads(state.read_text())["seeded_on"] == "2021-12-28"
    assert json.loads(state.read_text())["cash"] < 1_000


def test_help_and_version_in_a_real_process_import_no_pandas_or_scipy():
    probe = (
        "import sys\nfrom rp_tui.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('HEAVY', sorted({m.split('.')[0] for m in sys.modules} & "
        "{'pandas', 'scipy', 'textual', 'ib_async', 'numpy'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True
    ).stdout
    assert "backtest" in out and "HEAVY []" in out
    version = subprocess.run(
        [sys.executable, "-m", "rp_tui", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert version.startswith("rp-tui 0.")
    for command in ("weights", "plan", "backtest"):
        helped = subprocess.run(
            [sys.executable, "-m", "rp_tui", command, "--help"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "--config" in helped and "--format" in helped


def test_risk_json(capsys):
    code, out, _ = run(capsys, "risk", "--format", "json", "--paths", "5000", "--seed", "3")
    doc = json.loads(out)
    assert code == 0 and doc["method"] == "erc" and len(doc["assets"]) == 5
    targets = [a["risk_contribution_target"] for a in doc["assets"]]
    assert all(t == pytest.approx(0.2, rel=1e-8) for t in targets)  # ERC targets
    assert doc["portfolio"]["target"]["effective_bets"] == pytest.approx(5.0)
    cells = {(v["method"], v["confidence"], v["horizon_days"]) for v in doc["var"]}
    assert len(cells) == 12 and all(v["cvar"] >= v["var"] > 0 for v in doc["var"])
    assert doc["correlation"]["MTUM"]["MTUM"] == pytest.approx(1.0)
    _, again, _ = run(capsys, "risk", "--format", "json", "--paths", "5000", "--seed", "3")
    assert json.loads(again)["var"] == doc["var"], "seeded Monte Carlo is reproducible"


def test_benchmarks_symbol_mix_and_buy_and_hold(capsys):
    from rp_tui.inputs.bundled_data import FACTOR_ETFS
    from rp_tui.inputs.prices import load_prices

    code, out, _ = run(
        capsys,
        "backtest",
        "--format",
        "json",
        "--benchmark",
        "USMV",
        "--benchmark",
        "MTUM:0.6,USMV:0.4",
        "--benchmark",
        "buy-and-hold",
    )
    doc = json.loads(out)
    assert code == 0 and set(doc["benchmarks"]) == {"USMV", "MTUM:0.6,USMV:0.4", "buy-and-hold"}
    h = load_prices(bundled=FACTOR_ETFS)
    start, end = (list(h.dates.astype(str)).index(d) for d in (doc["start"], doc["end"]))
    usmv = h.closes[end, 3] / h.closes[start, 3]
    years = (h.dates[end] - h.dates[start]).astype(float) / 365.25
    assert doc["benchmarks"]["USMV"]["cagr"] == pytest.approx(usmv ** (1 / years) - 1, rel=1e-9)
    assert doc["benchmarks"]["MTUM:0.6,USMV:0.4"]["rebalances"] == doc["rebalances"]
    assert doc["benchmarks"]["buy-and-hold"]["rebalances"] == 1
    code, _, err = run(capsys, "backtest", "--benchmark", "SPY")
    assert code == 2 and "no prices for SPY" in err


def test_a_second_trading_instance_is_refused(capsys):
    from rp_tui.state.lock import single_instance

    with single_instance("running the app"):
        code, out, err = run(capsys, "rebalance", "--execute", "--yes")
    assert code == 2 and "another rp-tui is running (pid" in err and "running the app" in err
    state = json.loads(run(capsys, "plan", "--format", "json")[1])
    assert state["positions"][1]["quantity"] == 140, "nothing was sent"
    code, out, _ = run(capsys, "rebalance", "--execute", "--yes")  # the lock is free again
    assert code == 0 and "filled" in out


def test_run_key_sends_at_most_once(capsys):
    code, out, _ = run(capsys, "rebalance", "--execute", "--yes", "--run-key", "2026-11")
    assert code == 0 and "filled" in out
    assert main(["--reset-demo", "--config", str(PORTFOLIO)]) == 0  # orders to send again
    capsys.readouterr()
    before = json.loads(run(capsys, "plan", "--format", "json")[1])
    assert before["orders"]
    state = json.loads(
        run(capsys, "rebalance", "--execute", "--yes", "--run-key", "2026-11", "--format", "json")[
            1
        ]
    )
    assert state["skipped"] == "run key 2026-11 already executed" and state["fills"] == []
    assert json.loads(run(capsys, "plan", "--format", "json")[1]) == before
