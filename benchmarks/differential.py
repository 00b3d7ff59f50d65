"""Differential check for speed work (issue #16): the same inputs through this tree and an
older revision, every output compared (bit for bit, and the largest relative difference).

Cases, all seeded:

1. ``plan_rebalance`` on random accounts: holdings, cash, prices, targets, every rule
   (band absolute/relative, rebalance-all, modes, buffer, whole or fractional shares,
   minimum trade, commission ratio, slippage, skip-uneconomic, withdrawals, frozen and
   must-trade assets), fee schedules drawn from ``rp_tui/data/fees.toml`` (and free ones),
   FX rates and currency groups with IDEALPRO conversion fees.
2. ``erc_weights`` cold and warm-started on random factor-model covariances (2-30 assets),
   risk budgets; ``allocate`` for every method, estimator, returns kind, outlier rule,
   bounds and volatility target.
3. Backtests through ``rp_tui.services.backtest.backtest``: skfolio's 20 US stocks, the
   bundled multi-asset and factor-ETF prices, under many policies, methods and calendars
   (equity, growth, trades, targets, holdings, cash; the benchmarks too).
4. Sweep points (``run_chunk``) on a grid of bands, modes, fee plans and methods.

Run: ``.venv/bin/python benchmarks/differential.py --old REV [--plans 8000]``. The old side
is this working tree with the speed work's modules (:data:`OWNED`) as they were at ``REV``, so
others' uncommitted work elsewhere is on both sides. Exits 1 when an output differs by more
than 1e-12 (relative); prints how many are bit-identical.
"""

from __future__ import annotations

import argparse
import math
import os
import pickle
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
TOLERANCE = 1e-12
OWNED = tuple(
    f"rp_tui/{name}.py"
    for name in (
        *(
            f"domain/{m}"
            for m in [
                "allocation",
                "strategy",
                "covariance",
                "returns",
                "target_path",
                "replay",
                "rebalance",
                "sizing_checks",
                "share_fitting",
                "fee_model",
                "optimize",
                "barrier",
                "hrp",
            ]
        ),
        "services/backtest",
        "services/backtest_runs",
        "services/sweep",
        "services/sweep_dask",
        "cli/sweep_command",
        "cli/backtest_command",
        "inputs/prices",
    )
)


def old_tree(rev: str, folder: Path) -> Path:
    """This tree's ``rp_tui`` with the :data:`OWNED` modules as at ``rev`` (and any module
    added since, under those packages, removed when ``rev`` lacks it)."""
    import shutil

    shutil.copytree(
        REPO / "rp_tui", folder / "rp_tui", ignore=shutil.ignore_patterns("__pycache__")
    )
    listed = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", rev, "rp_tui"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    tracked_now = subprocess.run(
        ["git", "ls-files", "rp_tui"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    added = [p for p in tracked_now if p not in listed and p.startswith("rp_tui/domain/")]
    for path in (*OWNED, *added):
        if path in listed:
            text = subprocess.run(
                ["git", "show", f"{rev}:{path}"], cwd=REPO, capture_output=True, check=True
            ).stdout
            (folder / path).write_bytes(text)
        elif (folder / path).exists():
            (folder / path).unlink()
    return folder


def random_plans(count: int) -> dict[str, object]:
    from rp_tui.domain.fee_model import NO_FEES, FeeTable
    from rp_tui.domain.rebalance import RebalanceRules, plan_rebalance
    from rp_tui.inputs.fee_data import fee_schedules

    schedules = [s for s in fee_schedules().values()] + [NO_FEES] * 6
    modes = ["full"] * 6 + ["buy-only", "sell-only"]
    rng = np.random.default_rng(16)
    out: dict[str, object] = {}
    for case in range(count):
        n = int(rng.integers(1, 9))
        prices = np.exp(rng.uniform(np.log(0.5), np.log(3000.0), n))
        if rng.random() < 0.3:
            prices = np.round(prices, 2) + 0.01
        held = np.floor(rng.uniform(0, 1, n) * rng.choice([0, 10, 1000, 100_000], n))
        if rng.random() < 0.2:
            held = held + rng.random(n) * (rng.random(n) < 0.5)  # fractional holdings
        cash = float(rng.choice([0.0, 50.0, 1e3, 1e5, 1e7]) * rng.random())
        targets = rng.dirichlet(np.ones(n) * rng.choice([0.3, 1.0, 5.0]))
        free = rng.random() < 0.4
        picked = (
            [NO_FEES] * n
            if free
            else [schedules[i] for i in rng.integers(0, 30, n) % len(schedules)]
        )
        if rng.random() < 0.2:
            picked = [replace(s, month_to_date=float(rng.uniform(0, 5e6))) for s in picked]
        fees = FeeTable(picked)
        rules = RebalanceRules(
            band=float(rng.choice([0.0, 0.0, 0.005, 0.02, 0.1, 0.3])),
            cash_buffer=float(rng.choice([0.0, 0.0, 0.01, 0.05])),
            whole_shares=bool(rng.random() < 0.6),
            relative_band=bool(rng.random() < 0.2),
            rebalance_all=bool(rng.random() < 0.2),
            mode=str(rng.choice(modes)),
            min_trade_value=float(rng.choice([0.0, 0.0, 0.0, 50.0, 1000.0])),
            max_commission_ratio=float(rng.choice([math.inf, math.inf, 0.01, 0.001])),
            slippage_bp=float(rng.choice([0.0, 0.0, 0.0, 5.0])),
            fx_rate_of_value=float(rng.choice([0.0, 0.00002])),
            fx_minimum=float(rng.choice([0.0, 2.0])),
            skip_uneconomic=bool(rng.random() < 0.1),
        )
        fx = None
        groups = None
        if rng.random() < 0.25:
            fx = rng.uniform(0.5, 1.5, n) * (rng.random(n) < 0.6) + (rng.random(n) < 0.4) * 0.0
            fx = np.where(fx == 0.0, 1.0, fx)
            groups = np.where(fx == 1.0, -1, rng.integers(0, 2, n))
        cov = None
        if rules.skip_uneconomic:
            a = rng.normal(size=(60, n)) * 0.01
            cov = a.T @ a / 59
        withdraw = float(rng.choice([0.0, 0.0, 0.0, 0.1]) * (cash + (held * prices).sum()))
        frozen = (rng.random(n) < 0.1) if rng.random() < 0.2 else None
        must = (rng.random(n) < 0.2) if rng.random() < 0.1 else None
        try:
            plan = plan_rebalance(
                held,
                prices,
                cash,
                targets,
                rules,
                fees,
                fx,
                frozen=frozen,
                withdraw=withdraw,
                currency_groups=groups,
                covariance=cov,
                must_trade=must,
            )
            out[f"plan {case}"] = (
                plan.quantities,
                plan.commissions,
                plan.cash_after,
                plan.total_commission,
                plan.fill_prices,
                plan.nav,
                plan.drift,
                plan.targets,
                plan.weights,
                plan.notional,
                plan.fx_commission,
            )
        except ValueError as exc:
            out[f"plan {case}"] = f"error: {exc}"
    return out


def allocations() -> dict[str, object]:
    from rp_tui.domain.allocation import AllocationError, erc_weights
    from rp_tui.domain.constraints import Constraints
    from rp_tui.domain.strategy import AllocationSpec, allocate

    rng = np.random.default_rng(17)
    out: dict[str, object] = {}
    for case in range(400):
        n = int(rng.integers(2, 31))
        k = int(rng.integers(1, 4))
        days = int(rng.choice([40, 126, 252]))
        loadings = rng.normal(size=(n, k))
        r = rng.normal(size=(days, k)) @ loadings.T * 0.006 + rng.normal(size=(days, n)) * 0.01
        cov = r.T @ r / (days - 1)
        budgets = rng.dirichlet(np.ones(n)) + 0.01 if rng.random() < 0.3 else None
        try:
            cold = erc_weights(cov, budgets)
            warm = erc_weights(cov * rng.uniform(0.9, 1.1), budgets, cold)
            out[f"erc {case}"] = (cold, warm)
        except AllocationError as exc:
            out[f"erc {case}"] = f"error: {exc}"
    methods = ["erc", "risk-budget", "downside-erc", "inverse-vol", "hrp", "min-variance"]
    methods += ["mean-variance", "equal-weight", "fixed"]
    for case in range(120):
        n = int(rng.integers(2, 12))
        r = rng.normal(size=(int(rng.choice([60, 252])), n)) * 0.01
        r += rng.normal(size=(r.shape[0], 1)) * 0.005
        constraints = None
        if rng.random() < 0.4:
            upper = np.full(n, max(1.5 / n, 0.3))
            lower = np.full(n, 0.2 / n)
            constraints = Constraints(lower, upper)
        spec = AllocationSpec(
            method=str(methods[case % len(methods)]),
            estimator=str(rng.choice(["sample", "sample", "ewma", "ledoit-wolf"])),
            returns=str(rng.choice(["simple", "log"])),
            budgets=rng.dirichlet(np.ones(n)) + 0.01,
            constraints=constraints,
            target_volatility=float(rng.choice([0.0, 0.05])) or None,
            weights=rng.dirichlet(np.ones(n)),
            outliers=str(rng.choice(["off", "off", "winsorize", "mad"])),
            outlier_level=0.02 if rng.random() < 0.5 else 4.0,
        )
        if spec.outliers == "mad":
            spec = replace(spec, outlier_level=4.0)
        elif spec.outliers == "winsorize":
            spec = replace(spec, outlier_level=0.02)
        try:
            a = allocate(r, spec, None)
            b = allocate(r[1:], spec, a.weights)
            out[f"allocate {case}"] = tuple(
                (
                    x.weights,
                    x.covariance,
                    x.risk_contributions,
                    x.budgets,
                    x.exact,
                    x.scale,
                    x.notes,
                )
                for x in (a, b)
            )
        except ValueError as exc:
            out[f"allocate {case}"] = f"error: {exc}"
    return out


def _sessions(folder: Path) -> dict[str, tuple[Path, Path | None]]:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_speed import multi_asset_files, sp500_files

    return {
        "sp500": sp500_files(folder),
        "multi": multi_asset_files(folder),
        "factor": (REPO / "rp_tui" / "examples" / "factor-etfs.toml", None),
    }


BACKTESTS: list[tuple[str, dict, dict]] = [
    (
        "bt-rules",
        {"fees": "none"},
        {"band": 0.0, "cash_buffer": 0.0, "fractional": True, "calendar": "file"},
    ),
    ("file-policy", {}, {}),
    (
        "ibkr-whole-1%",
        {"fees": "ibkr-fixed"},
        {"band": 0.01, "cash_buffer": 0.01, "fractional": False},
    ),
    ("tiered", {"fees": "ibkr-tiered"}, {"band": 0.02, "fractional": False}),
    (
        "fractional-fees",
        {"fees": "ibkr-fixed"},
        {"band": 0.0, "cash_buffer": 0.0, "fractional": True},
    ),
    ("fractional-band", {"fees": "none"}, {"band": 0.02, "cash_buffer": 0.01, "fractional": True}),
    ("buy-only-deposit", {"contribution": 5_000.0}, {"mode": "buy-only"}),
    (
        "withdrawal",
        {"contribution": -2_000.0, "contribution_frequency": "monthly"},
        {"frequency": "quarterly"},
    ),
    ("relative-all", {}, {"band": 0.2, "band_kind": "relative", "trade": "all"}),
    ("guard", {}, {"min_interval_days": 45, "frequency": "weekly"}),
    ("skip-uneconomic", {"fees": "ibkr-fixed"}, {"skip_uneconomic": True, "min_trade": 200.0}),
    ("slippage", {"fees": "none"}, {"slippage_bp": 5.0, "fractional": True, "band": 0.0}),
    (
        "inverse-vol",
        {"method": "inverse-vol", "fees": "none"},
        {"fractional": True, "band": 0.0, "cash_buffer": 0.0},
    ),
    ("hrp-quarterly", {"method": "hrp", "lookback": 126}, {"frequency": "quarterly"}),
    ("min-variance", {"method": "min-variance", "lookback": 63}, {}),
    (
        "risk-budget-free",
        {"method": "risk-budget", "fees": "none"},
        {"fractional": True, "band": 0.0},
    ),
    ("equal-weight", {"method": "equal-weight", "fees": "none"}, {"fractional": True}),
    ("benchmarks", {"benchmarks": ("equal-weight", "buy-and-hold")}, {}),
]


def backtests(folder: Path) -> dict[str, object]:
    from rp_tui.errors import UserError
    from rp_tui.services.backtest import BacktestOptions, backtest
    from rp_tui.services.policy import PolicyOverrides
    from rp_tui.services.session import open_session

    out: dict[str, object] = {}
    for data, (config, prices) in _sessions(folder).items():
        session = open_session(config, prices)
        symbols = session.universe.symbols
        for name, opts, policy in BACKTESTS:
            opts = {"benchmarks": (), "capital": 1e6, **opts}
            if name == "benchmarks":
                opts["benchmarks"] += (f"{symbols[0]}:0.6,{symbols[1]}:0.4", symbols[2])
            if data != "factor" and "risk-budget" in str(opts.get("method")):
                continue  # only the factor example gives every asset a budget
            options = BacktestOptions(**opts, policy=PolicyOverrides(**policy))
            try:
                report = backtest(session, options)
            except (UserError, ValueError) as exc:
                out[f"{data} {name}"] = "error: " + str(exc).replace(str(folder), "<data>")
                continue
            results = {"strategy": report.result, **report.benchmarks}
            for label, r in results.items():
                out[f"{data} {name} {label}"] = (
                    r.equity,
                    r.growth,
                    r.flows,
                    r.target_weights,
                    r.drift_at_rebalance,
                    r.holdings_weights,
                    r.trades.assets,
                    r.trades.dates.astype("int64"),
                    r.fees_paid,
                    r.turnover,
                    r.stats,
                    *in_nav(r),
                )
                out[f"raw {data} {name} {label}"] = (
                    r.trades.quantities,
                    r.trades.prices,
                    r.trades.commissions,
                    r.holdings_after,
                    r.cash_after,
                )
    return out


def in_nav(r) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Trades (value, commission) and the cash after each event as fractions of the NAV at
    that close: the scale on which a backtest's money is judged (a trade of 1e-9 shares
    that differs in its last digits is a 1e-17 NAV matter). Holdings are judged the same way
    by ``holdings_weights`` (each close's value weights)."""
    at_trade = r.equity[np.searchsorted(r.dates, r.trades.dates)]
    at_event = r.equity[np.searchsorted(r.dates, r.event_dates)]
    return (
        r.trades.quantities * r.trades.prices / at_trade,
        r.trades.commissions / at_trade,
        r.cash_after / at_event,
    )


def sweeps(folder: Path) -> dict[str, object]:
    from rp_tui.services.backtest import BacktestOptions
    from rp_tui.services.sweep import grid, run_chunk

    config, prices = _sessions(folder)["multi"]
    points = grid(
        [63, 252],
        [0.0, 0.01, 0.03],
        ["erc", "inverse-vol", "hrp", "min-variance", "downside-erc"],
        ["monthly", "quarterly"],
        [None, "buy-only"],
        [None, "none"],
    )
    out = {}
    for label, options in (
        ("plain", BacktestOptions(benchmarks=())),
        ("deposit", BacktestOptions(benchmarks=(), contribution=1_000.0)),
    ):
        rows = run_chunk(points, str(config), str(prices), options)
        for point, row in zip(points, rows, strict=True):
            out[f"sweep {label} {point}"] = row
    return out


def emit(path: str, plans: int) -> None:
    os.environ.setdefault("RP_TUI_DATA_DIR", tempfile.mkdtemp(prefix="rp-tui-diff-"))
    folder = Path(tempfile.mkdtemp(prefix="rp-tui-diff-data-"))
    out = {}
    out.update(random_plans(plans))
    out.update(allocations())
    out.update(backtests(folder))
    out.update(sweeps(folder))
    with open(path, "wb") as fh:
        pickle.dump(out, fh)
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def _leaves(x, prefix=""):
    if isinstance(x, dict):
        for k in sorted(x, key=str):
            yield from _leaves(x[k], f"{prefix}.{k}")
    elif isinstance(x, (tuple, list)):
        for i, v in enumerate(x):
            yield from _leaves(v, f"{prefix}[{i}]")
    else:
        yield prefix, x


def _category(key: str) -> str:
    """Where an output comes from: ``plan``, ``erc``, ``allocate``, ``sweep``, or the
    backtest's data and policy (its strategy and benchmarks together)."""
    words = key.removeprefix("raw ").split()
    return words[0] if words[0] in ("plan", "erc", "allocate", "sweep") else " ".join(words[:2])


def _difference(x, y) -> float | None:
    """0 when bit-identical, the largest relative difference (``|a−b| / max(1, |a|, |b|)``)
    of numbers, ``inf`` when they cannot be compared; ``None`` for equal non-numbers."""
    if isinstance(x, (np.ndarray, float, int, np.floating, np.integer)) and not isinstance(x, bool):
        x, y = np.asarray(x), np.asarray(y)
        if x.shape != y.shape:
            return math.inf
        if x.dtype.kind not in "fc" and y.dtype.kind not in "fc":
            return 0.0 if np.array_equal(x, y) else math.inf
        xf, yf = x.astype(float), y.astype(float)
        if np.array_equal(xf, yf, equal_nan=True):
            return 0.0
        if not np.array_equal(np.isnan(xf), np.isnan(yf)):
            return math.inf
        scale = np.maximum(1.0, np.maximum(np.abs(xf), np.abs(yf)))
        with np.errstate(invalid="ignore"):
            return float(np.nanmax(np.abs(xf - yf) / scale))
    return None if x == y else math.inf


def compare(old: dict, new: dict) -> tuple[dict, list[str]]:
    """Per category: ``[outputs, bit-identical, largest relative difference]`` (keys
    starting ``raw `` apart: shares and cash, reported but judged as fractions of NAV), and
    the outputs that differ by more than :data:`TOLERANCE` (or in structure)."""
    summary: dict[str, list] = {}
    failures = []
    for key in sorted(set(old) | set(new)):
        if key not in old or key not in new:
            failures.append(f"{key}: only in {'new' if key in new else 'old'}")
            continue
        raw = key.startswith("raw ")
        a, b = dict(_leaves(old[key])), dict(_leaves(new[key]))
        if a.keys() != b.keys():
            failures.append(f"{key}: different structure")
            continue
        row = summary.setdefault(("raw " if raw else "") + _category(key), [0, 0, 0.0])
        for leaf in a:
            err = _difference(a[leaf], b[leaf])
            row[0] += 1
            row[1] += not err
            row[2] = max(row[2], err or 0.0)
            if err is not None and err > TOLERANCE and not raw:
                failures.append(f"{key}{leaf}: relative difference {err:.3g}")
    return summary, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", metavar="REV", help="the revision to compare with")
    parser.add_argument("--plans", type=int, default=8000)
    parser.add_argument("--emit", metavar="PICKLE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.emit:
        emit(args.emit, args.plans)
        return
    folder = old_tree(args.old, Path(tempfile.mkdtemp(prefix="rp-tui-diff-")))
    outputs = {}
    for name, path in (("old", str(folder)), ("new", str(REPO))):
        env = {**os.environ, "PYTHONPATH": path}
        target = folder / f"{name}.pickle"
        argv = [sys.executable, __file__, "--emit", str(target), "--plans", str(args.plans)]
        subprocess.run(argv, check=True, env=env, cwd=folder)
        outputs[name] = pickle.loads(target.read_bytes())
    summary, failures = compare(outputs["old"], outputs["new"])
    judged = [v for k, v in summary.items() if not k.startswith("raw ")]
    total, same = sum(v[0] for v in judged), sum(v[1] for v in judged)
    worst = max((v[2] for v in judged), default=0.0)
    print(
        f"{len(outputs['new'])} cases, {total} outputs: {same} bit-identical, "
        f"{total - same - len(failures)} within {TOLERANCE:g} (largest relative difference "
        f"{worst:.3g}), {len(failures)} differ"
    )
    print("not bit-identical everywhere (outputs, bit-identical, largest relative difference):")
    for name, (n, identical, err) in summary.items():
        if identical < n:
            print(f"   {name:<44} {n:6d} {identical:6d}  {err:.3g}")
    for line in failures[:40]:
        print("  ", line)
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
