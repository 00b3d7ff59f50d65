"""The seeded cases of ``benchmarks/differential.py``: random plans, allocations, backtests
and sweep points, each returning ``{case name: outputs}`` from whichever ``rp_tui`` is first
on the path (the script runs them once per tree)."""

from __future__ import annotations

import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


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
    from rp_tui.domain.constraints import Constraints, Group
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
            out[f"erc {case}"] = erc_weights(cov, budgets)
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
            if n >= 4 and case % 2 == 0:  # an asset class that often binds (half at ≥ 60 %)
                half = Group("first half", np.arange(n) < n // 2, 0.6, 1.0)
                constraints = replace(constraints, groups=(half,))
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
            a = allocate(r, spec)
            b = allocate(r[1:], spec)
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
    (  # withdrawals on guarded weeks: sold for, not counted as rebalancing turnover
        "guard-withdrawal",
        {"contribution": -2_000.0, "contribution_frequency": "monthly"},
        {"min_interval_days": 45, "frequency": "weekly", "cash_buffer": 0.0},
    ),
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
