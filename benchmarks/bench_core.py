"""Figures for issue #2: ERC solve time, bundled backtest time, ``rp-tui --help`` start-up.

Run: ``.venv/bin/python benchmarks/bench_core.py`` (prints one table; nothing is asserted).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from timing import best_of

REPO = Path(__file__).resolve().parents[1]


def process_seconds(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, cwd=REPO)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    from rp_tui.domain.allocation import erc_weights, risk_contributions
    from rp_tui.domain.returns import sample_covariance
    from rp_tui.services.backtest import BacktestOptions, backtest
    from rp_tui.services.session import open_session

    rng = np.random.default_rng(20)  # 20 assets, 252 days of a 3-factor model: seeded
    loadings = rng.normal(size=(20, 3))
    returns = rng.normal(size=(252, 3)) @ loadings.T * 0.006 + rng.normal(size=(252, 20)) * 0.01
    cov = sample_covariance(returns)
    erc_s = best_of(lambda: erc_weights(cov), repeat=5, number=2000)
    rc_error = np.abs(risk_contributions(erc_weights(cov), cov) * 20 - 1).max()

    rows = [
        ("ERC solve, 20 assets x 252 days", f"{erc_s * 1e3:.3f} ms", f"max RC error {rc_error:.1e}")
    ]
    try:
        from skfolio.optimization import RiskBudgeting

        sk_s = best_of(lambda: RiskBudgeting().fit(returns), repeat=3, number=5)
        sk_w = RiskBudgeting().fit(returns).weights_
        sk_err = np.abs(risk_contributions(sk_w, cov) * 20 - 1).max()
        rows.append(
            (
                "  skfolio RiskBudgeting, same data",
                f"{sk_s * 1e3:.1f} ms",
                f"max RC error {sk_err:.1e}; ratio {sk_s / erc_s:.0f}x",
            )
        )
    except ImportError:
        rows.append(("  skfolio RiskBudgeting", "not installed", ""))

    session = open_session(REPO / "portfolio.toml")
    bt_s = best_of(lambda: backtest(session, BacktestOptions()), repeat=3, number=3)
    rows.append(
        (
            "backtest compute, bundled data (ERC + benchmark)",
            f"{bt_s * 1e3:.1f} ms",
            "95 monthly rebalances x 2 runs",
        )
    )
    proc = process_seconds([sys.executable, "-m", "rp_tui", "backtest", "--format", "json"], 5)
    rows.append(("rp-tui backtest, whole process", f"{proc * 1e3:.0f} ms", "median of 5"))
    helped = process_seconds([sys.executable, "-m", "rp_tui", "--help"], 10)
    rows.append(("rp-tui --help start-up", f"{helped * 1e3:.0f} ms", "median of 10"))
    bare = process_seconds([sys.executable, "-c", "pass"], 10)
    rows.append(("  python -c pass, same machine", f"{bare * 1e3:.0f} ms", "median of 10"))

    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"{name.ljust(width)}  {value:>12}  {note}")


if __name__ == "__main__":
    main()
