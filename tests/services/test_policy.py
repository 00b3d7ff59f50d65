"""One rebalancing policy: the live plan on an account snapshot equals the backtest's orders
on that date, rule by rule; the policy lives in portfolio.toml and flags only override it."""

import asyncio
import json
from pathlib import Path

import numpy as np
import pytest

from rp_tui.broker.base import AccountSnapshot, Holding
from rp_tui.cli.main import main
from rp_tui.errors import ConfigError
from rp_tui.inputs.portfolio_file import load_portfolio
from rp_tui.services.backtest import BacktestOptions, backtest
from rp_tui.services.execution import execute_plan
from rp_tui.services.plan import TradingHistory, build_plan, plan_from_snapshot
from rp_tui.services.session import make_broker, open_session
from rp_tui.services.targets import compute_targets
from tests.conftest import PORTFOLIO

BASE = PORTFOLIO.read_text()


def config(tmp_path: Path, **policy) -> Path:
    """The shipped portfolio with ``[rebalancing]`` keys replaced."""
    text = BASE
    for key, value in policy.items():
        line = next(s for s in text.splitlines() if s.startswith(f"{key} = "))
        text = text.replace(line, f"{key} = {json.dumps(value)}", 1)
    path = tmp_path / "portfolio.toml"
    path.write_text(text)
    return path


def snapshot_before(session, result, k: int, cash_flow: float = 0.0):
    """The account just before the backtest's ``k``-th rebalance, as a broker reports it."""
    day = result.rebalance_dates[k]
    event = int(np.searchsorted(result.event_dates, day))  # this rebalance's event
    held, cash = result.holdings_after[event - 1], float(result.cash_after[event - 1])
    row = int(np.searchsorted(session.history.dates, day))
    prices = dict(zip(session.history.symbols, session.history.closes[row], strict=True))
    symbols = session.history.symbols
    return AccountSnapshot(
        broker="demo",
        account="BACKTEST",
        base_currency="USD",
        as_of=str(day),
        cash=cash,
        quantities=dict(zip(symbols, map(float, held), strict=True)),
        prices=prices,
        fx={"USD": 1.0},
        holdings=tuple(
            Holding(s, float(q), prices[s], "USD", "SMART", "BATS", np.nan)
            for s, q in zip(symbols, held, strict=True)
            if q
        ),
    )


def trades_on(result, day) -> list[tuple[str, float]]:
    t = result.trades
    symbols = ["MTUM", "QUAL", "SIZE", "USMV", "VLUE"]
    return sorted(
        (symbols[a], float(q))
        for d, a, q in zip(t.dates, t.assets, t.quantities, strict=True)
        if d == day
    )


RULES = [
    {},
    {"band": 0.005},
    {"band": 0.1, "band_kind": "relative"},
    {"band": 0.02, "trade": "all"},
    {"mode": "buy-only"},
    {"min_trade": 2000.0},
    {"max_commission_ratio": 0.0009},
    {"skip_uneconomic": True},
    {"cash_buffer": 0.05},
    {"fractional": True},
]


@pytest.mark.parametrize("policy", RULES, ids=lambda p: ",".join(p) or "default")
def test_the_plan_on_a_dated_snapshot_equals_the_backtest_rebalance(tmp_path, policy):
    session = open_session(config(tmp_path, **policy))
    contribution = 3_000.0 if policy.get("mode") == "buy-only" else 0.0
    result = backtest(session, BacktestOptions(benchmarks=(), contribution=contribution)).result
    traded = 0
    for k in range(1, len(result.rebalance_dates)):  # every rebalance after the funding one
        day = result.rebalance_dates[k]
        snapshot = snapshot_before(session, result, k)
        targets = compute_targets(session, as_of=str(day))
        plan = plan_from_snapshot(session, snapshot, targets, cash_flow=contribution)
        ordered = sorted(
            (o.symbol, o.quantity if o.side == "BUY" else -o.quantity) for o in plan.orders
        )
        expected = trades_on(result, day)
        assert [s for s, _ in ordered] == [s for s, _ in expected], (policy, str(day))
        np.testing.assert_allclose([q for _, q in ordered], [q for _, q in expected], rtol=1e-9)
        traded += bool(ordered)
    assert traded >= 3, "the rule hardly traded: the comparison would prove little"


def test_buy_only_with_a_minimum_trade_spends_the_deposit_and_matches_the_backtest(
    tmp_path, capsys
):
    path = config(tmp_path, mode="buy-only", min_trade=500.0)
    code = main(["plan", "--config", str(path), "--deposit", "5000", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["orders"] and all(o["side"] == "BUY" for o in doc["orders"])
    spent = sum(o["notional"] + o["commission"] for o in doc["orders"])
    free = doc["cash"] - 5_000.0 - doc["policy"]["cash_buffer"] * doc["nav"]
    assert spent <= 5_000.0 + free + 1e-6
    assert all(o["notional"] >= 500.0 for o in doc["orders"])
    assert doc["cash_flow"] == 5_000.0
    # the same call a backtest rebalance makes, on the same date and holdings
    session = open_session(path)
    snapshot = asyncio.run(make_broker(session).snapshot())
    targets = compute_targets(session, as_of=snapshot.as_of)
    plan = plan_from_snapshot(session, snapshot, targets, cash_flow=5_000.0)
    assert [(o.symbol, o.quantity) for o in plan.orders] == [
        (o["symbol"], o["quantity"]) for o in doc["orders"]
    ]


def test_a_withdrawal_sells_the_most_overweight_first_and_keeps_the_buffer(capsys):
    code = main(["plan", "--config", str(PORTFOLIO), "--withdraw", "2000", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    sells = [o for o in doc["orders"] if o["side"] == "SELL"]
    assert code == 0 and sells and doc["cash_flow"] == -2_000.0
    assert doc["cash_after"] >= 2_000.0 + 0.01 * (doc["nav"] - 2_000.0) - 1e-6
    drift = {p["symbol"]: p["drift"] for p in doc["positions"]}
    assert max(drift, key=drift.get) in {o["symbol"] for o in sells}


def test_backtest_without_flags_follows_the_file_and_flags_override(tmp_path, capsys):
    path = config(tmp_path, mode="buy-only", min_interval_days=90)
    result = backtest(open_session(path), BacktestOptions(benchmarks=())).result
    assert (result.trades.quantities >= 0).all(), "buy-only in the file: the backtest never sells"
    traded = np.unique(result.trades.dates)
    assert (np.diff(traded) >= np.timedelta64(90, "D")).all(), "the over-trading guard holds"
    code = main(["backtest", "--config", str(path), "--mode", "full", "--format", "json"])
    assert code == 0 and json.loads(capsys.readouterr().out)["rebalances"] > 0


def test_fixed_weights_are_the_targets_exactly(tmp_path):
    text = BASE.replace('method = "erc"', 'method = "fixed"')
    for symbol, weight in (("MTUM", 0.5), ("QUAL", 0.25), ("SIZE", 0.25)):
        text = text.replace(f'symbol = "{symbol}"', f'symbol = "{symbol}"\nweight = {weight}', 1)
    for symbol in ("USMV", "VLUE"):
        text = text.replace(f'symbol = "{symbol}"', f'symbol = "{symbol}"\nweight = 0.0', 1)
    path = tmp_path / "portfolio.toml"
    path.write_text(text)
    targets = compute_targets(open_session(path))
    assert targets.weights.tolist() == [0.5, 0.25, 0.25, 0.0, 0.0]
    assert targets.risk_contributions.sum() == pytest.approx(1.0)


def test_fixed_weights_that_do_not_sum_to_one_are_normalised_with_a_visible_note(tmp_path):
    text = BASE.replace('method = "erc"', 'method = "fixed"')
    for symbol in ("MTUM", "QUAL", "SIZE", "USMV", "VLUE"):
        text = text.replace(f'symbol = "{symbol}"', f'symbol = "{symbol}"\nweight = 0.1', 1)
    path = tmp_path / "portfolio.toml"
    path.write_text(text)
    portfolio = load_portfolio(path)
    assert any("sum to 0.5" in n for n in portfolio.notes)
    assert compute_targets(open_session(path)).weights == pytest.approx([0.2] * 5)


def test_the_over_trading_guard_refuses_a_second_rebalance_naming_the_last(tmp_path):
    session = open_session(config(tmp_path, min_interval_days=90))
    broker = make_broker(session)
    plan = asyncio.run(build_plan(session, broker))
    assert plan.orders and not plan.withheld
    fills = asyncio.run(execute_plan(broker, plan))
    assert all(f.status == "filled" for f in fills)
    drifted = asyncio.run(build_plan(session, broker, cash_flow=20_000.0))  # much to buy
    assert not drifted.orders
    assert "over-trading guard: the last rebalance traded on" in drifted.withheld
    assert "min_interval_days = 90" in drifted.withheld


def test_holdings_outside_the_portfolio_count_and_are_kept_or_sold(tmp_path):
    asyncio.run(make_broker(open_session(PORTFOLIO)).snapshot())  # seed: 191 VLUE held
    without = BASE.replace(
        '[[assets]]\nsymbol = "VLUE"     # iShares MSCI USA Value Factor\nexchange = "SMART"\n'
        'primary_exchange = "BATS"\ncurrency = "USD"\n',
        "",
    )
    assert without != BASE
    path = tmp_path / "portfolio.toml"
    path.write_text(without)
    whole = asyncio.run(build_plan(open_session(PORTFOLIO), make_broker(open_session(PORTFOLIO))))
    kept = asyncio.run(build_plan(open_session(path), make_broker(open_session(path))))
    assert kept.nav == pytest.approx(whole.nav)
    (vlue,) = kept.outside
    assert (vlue.symbol, vlue.quantity, vlue.in_portfolio) == ("VLUE", 191.0, False)
    assert "VLUE" not in {o.symbol for o in kept.orders}
    assert any("not in portfolio.toml: VLUE: kept" in n for n in kept.notes)
    path.write_text(without.replace('outside_holdings = "keep"', 'outside_holdings = "sell"'))
    sold = asyncio.run(build_plan(open_session(path), make_broker(open_session(path))))
    assert ("SELL", "VLUE", 191.0) in {(o.side, o.symbol, o.quantity) for o in sold.orders}


def test_a_key_that_moved_to_the_policy_names_its_new_place(tmp_path):
    path = tmp_path / "portfolio.toml"
    path.write_text(BASE.replace("max_gross = 1.0", "max_gross = 1.0\nband = 0.03"))
    with pytest.raises(ConfigError, match=r"band moved to \[rebalancing\].*band = 0.03"):
        load_portfolio(path)


def test_the_trade_log_gives_the_last_rebalance():
    from rp_tui.services.plan import trading_history

    history = trading_history(
        [
            {"event": "result", "ts": "2026-11-02T10:00:00+00:00", "filled": 0, "symbol": "A"},
            {"event": "result", "ts": "2026-11-03T10:00:00+00:00", "filled": 5, "symbol": "A"},
            {"event": "status", "ts": "2026-11-04T10:00:00+00:00", "filled": 5},
        ]
    )
    assert isinstance(history, TradingHistory)
    assert str(history.last_traded) == "2026-11-03 10:00:00+00:00"


def test_rebalance_with_a_deposit_books_it_on_the_demo_account_then_buys(tmp_path, capsys):
    path = config(tmp_path, mode="buy-only")
    code = main(["rebalance", "--config", str(path), "--deposit", "5000", "--execute", "--yes"])
    assert code == 0, capsys.readouterr().err
    snapshot = asyncio.run(make_broker(open_session(path)).snapshot())
    bought = sum(
        (snapshot.quantities[s] - q) * snapshot.prices[s]
        for s, q in {"MTUM": 112, "QUAL": 140, "SIZE": 149, "USMV": 254, "VLUE": 191}.items()
    )
    assert 3_000 < bought <= 5_000 + 146.11  # the deposit (and free cash) went into shares
    assert snapshot.cash >= 0.01 * 83_000 - 1  # the buffer is kept
    log = [json.loads(line) for line in (Path(snapshot_dir()) / "trade-log.ndjson").open()]
    assert any(r.get("side") == "CASH" and r["quantity"] == 5_000.0 for r in log)


def snapshot_dir() -> str:
    import os

    return os.environ["RP_TUI_DATA_DIR"]
