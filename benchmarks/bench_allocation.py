"""Figures for issue #4: ERC speed and accuracy beside skfolio and ffn (bt's ERC), measured
side by side in one run, and the time a 30-year monthly ERC backtest spends in solves.

Data: skfolio's bundled ``load_sp500_dataset`` (20 US stocks, daily, 1990-2022).
Needs the test extras plus ffn: ``.venv/bin/pip install ffn``.
Run: ``.venv/bin/python benchmarks/bench_allocation.py``. Prints a table; asserts nothing.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from timing import best_of

warnings.filterwarnings("ignore")


def rc_error(weights: np.ndarray, cov: np.ndarray) -> float:
    from rp_tui.domain.allocation import risk_contributions

    return float(np.max(np.abs(risk_contributions(weights, cov) * len(weights) - 1.0)))


def main() -> None:
    from skfolio.datasets import load_sp500_dataset
    from skfolio.optimization import RiskBudgeting

    from rp_tui.domain.allocation import erc_weights
    from rp_tui.domain.backtest import BacktestSpec, run_backtest
    from rp_tui.domain.fees import NO_FEES, FeeTable
    from rp_tui.domain.rebalance import RebalanceRules
    from rp_tui.domain.returns import sample_covariance, simple_returns

    prices = load_sp500_dataset()
    returns = simple_returns(prices.to_numpy())
    window = returns[-252:]
    frame = prices.pct_change().iloc[-252:]
    cov = sample_covariance(window)

    def ours():
        return erc_weights(sample_covariance(window))

    rows = []
    ours_s = best_of(ours, 5, 500)
    rows.append(("rp-tui ERC (cov + solve)", ours_s, rc_error(ours(), cov)))
    sk_s = best_of(lambda: RiskBudgeting().fit(window), 3, 5)
    rows.append(
        ("skfolio RiskBudgeting", sk_s, rc_error(RiskBudgeting().fit(window).weights_, cov))
    )
    try:
        from ffn.core import calc_erc_weights

        def ffn_erc():
            return calc_erc_weights(frame, covar_method="standard")

        ffn_s = best_of(ffn_erc, 3, 20)
        rows.append(("ffn calc_erc_weights (bt)", ffn_s, rc_error(ffn_erc().to_numpy(), cov)))
    except ImportError:
        ffn_s = None

    print(f"ERC, {window.shape[1]} assets x {window.shape[0]} days (skfolio S&P 500 sample)")
    for name, seconds, err in rows:
        print(
            f"  {name:<28} {seconds * 1e3:9.3f} ms   max RC error {err:.1e}   "
            f"{seconds / ours_s:7.1f}x rp-tui"
        )

    solve_time = [0.0]

    def timed(window: np.ndarray) -> np.ndarray:
        start = time.perf_counter()
        w = erc_weights(sample_covariance(window))
        solve_time[0] += time.perf_counter() - start
        return w

    dates = prices.index.to_numpy().astype("datetime64[D]")
    spec = BacktestSpec(252, "monthly", RebalanceRules(whole_shares=False), 1e6)
    start = time.perf_counter()
    result = run_backtest(dates, prices.to_numpy(), FeeTable([NO_FEES] * 20), spec, timed)
    total = time.perf_counter() - start
    years = (dates[-1] - dates[0]).astype(float) / 365.25
    print(
        f"monthly ERC backtest, 20 assets, {years:.0f} years, {len(result.rebalance_dates)} "
        f"rebalances: solves {solve_time[0]:.3f} s of {total:.3f} s"
    )


if __name__ == "__main__":
    main()
