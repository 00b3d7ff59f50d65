"""Figures for issue #5: rp-tui's backtest engine against bt on the same backtest.

20 US stocks × 32 years (skfolio's ``load_sp500_dataset``), monthly ERC on the last 252
daily returns with the sample covariance, fractional shares, no costs, rebalancing at the
close of each month's last trading day in the price file. bt runs ``WeighERC``'s own solver
(ffn ``calc_erc_weights``, ``covar_method="standard"``) on a window of the same 252 rows —
bt's stock ``WeighERC`` takes a calendar ``DateOffset`` whose row count wanders by a day or
two, which is the only change made to it here.

Needs bt: ``.venv/bin/pip install bt``. Run: ``.venv/bin/python benchmarks/bench_bt.py``.
Prints the agreement of the two equity curves and the time of each, side by side.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")
LOOKBACK = 252


def run_bt(prices):
    import bt
    from ffn.core import calc_erc_weights

    class WeighERCRows(bt.algos.WeighERC):
        """bt's WeighERC on the last LOOKBACK returns instead of a DateOffset window."""

        def __call__(self, target):
            window = target.universe.loc[: target.now, target.temp["selected"]]
            returns = window.iloc[-(LOOKBACK + 1) :].pct_change().iloc[1:]
            target.temp["weights"] = calc_erc_weights(
                returns, covar_method="standard", tolerance=1e-12, maximum_iterations=1000
            ).to_dict()
            return True

    strategy = bt.Strategy(
        "erc",
        [
            bt.algos.RunAfterDays(LOOKBACK),
            bt.algos.RunMonthly(run_on_first_date=False, run_on_end_of_period=True),
            bt.algos.SelectAll(),
            WeighERCRows(),
            bt.algos.Rebalance(),
        ],
    )
    test = bt.Backtest(strategy, prices, integer_positions=False, initial_capital=1e6)
    return bt.run(test)["erc"].prices


def run_ours(prices):
    from rp_tui.domain.allocation import erc_weights
    from rp_tui.domain.fee_model import NO_FEES, FeeTable
    from rp_tui.domain.rebalance import RebalanceRules
    from rp_tui.domain.replay import BacktestSpec, run_backtest
    from rp_tui.domain.returns import sample_covariance

    spec = BacktestSpec(LOOKBACK, "monthly", RebalanceRules(whole_shares=False), 1e6)

    def erc(window):  # each window on its own, as the backtest service does
        return erc_weights(sample_covariance(window))

    dates = prices.index.to_numpy().astype("datetime64[D]")
    fees = FeeTable([NO_FEES] * prices.shape[1])
    return run_backtest(dates, prices.to_numpy(), fees, spec, erc)


def explain_costs(prices, frictionless) -> None:
    """Whole shares and IBKR Pro Fixed fees against the frictionless run: where it differs."""
    from rp_tui.domain.allocation import erc_weights
    from rp_tui.domain.fee_model import FeeSchedule, FeeTable
    from rp_tui.domain.rebalance import RebalanceRules
    from rp_tui.domain.replay import BacktestSpec, run_backtest
    from rp_tui.domain.returns import sample_covariance

    fixed = FeeSchedule(
        "us", "IBKR Pro Fixed", "USD", per_share=0.005, minimum=1.0, max_rate_of_value=0.01
    )
    spec = BacktestSpec(LOOKBACK, "monthly", RebalanceRules(whole_shares=True), 1e6)
    dates = prices.index.to_numpy().astype("datetime64[D]")
    real = run_backtest(
        dates,
        prices.to_numpy(),
        FeeTable([fixed] * prices.shape[1]),
        spec,
        lambda w: erc_weights(sample_covariance(w)),
    )
    gap = frictionless.stats["cagr"] - real.stats["cagr"]
    cash = real.equity - (real.holdings_weights * real.equity[:, None]).sum(axis=1)
    at = np.searchsorted(real.dates, real.trades.dates)  # NAV when each fee was paid
    years = (dates[-1] - real.dates[0]).astype(float) / 365.25
    fee_drag = float((real.trades.commissions / real.equity[at]).sum() / years)
    mine, theirs = real.stats["cagr"], frictionless.stats["cagr"]
    print(
        f"whole shares + IBKR Pro Fixed: CAGR {mine:.4%} vs {theirs:.4%} frictionless "
        f"({gap * 1e4:.1f} bp/yr): fees {real.fees_paid:,.0f} USD, {fee_drag * 1e4:.1f} bp/yr "
        f"of NAV when paid; cash left by whole shares {np.mean(cash / real.equity):.3%} of "
        "NAV on average; the rest is compounding of both"
    )


def main() -> None:
    from skfolio.datasets import load_sp500_dataset

    prices = load_sp500_dataset()
    run_ours(prices.iloc[:300])  # imports and first calls out of the timings, for both
    run_bt(prices.iloc[:300])
    ours_s, bt_s = [], []
    for round_ in range(15):  # interleaved, best of each: the machine's noise hits both
        start = time.perf_counter()
        ours = run_ours(prices)
        ours_s.append(time.perf_counter() - start)
        if round_ % 3 == 0:  # bt: 5 runs
            start = time.perf_counter()
            theirs = run_bt(prices)
            bt_s.append(time.perf_counter() - start)
    ours_s, bt_s = min(ours_s), min(bt_s)

    dates = theirs.index.to_numpy().astype("datetime64[D]")
    _, ours_i, bt_i = np.intersect1d(ours.dates, dates, return_indices=True)
    a = np.diff(ours.equity[ours_i]) / ours.equity[ours_i][:-1]
    b = np.diff(theirs.to_numpy()[bt_i]) / theirs.to_numpy()[bt_i][:-1]
    moved = np.abs(b) > 0
    first_bt = dates[np.argmax(np.abs(np.diff(theirs.to_numpy())) > 0)]
    print(
        f"{prices.shape[1]} assets, {prices.index[0].date()} .. {prices.index[-1].date()}, "
        f"{len(ours.rebalance_dates)} monthly rebalances (first: ours {ours.dates[0]}, "
        f"bt trades from {first_bt})"
    )
    print(
        f"daily-return correlation over {moved.sum()} common days: "
        f"{np.corrcoef(a[moved], b[moved])[0, 1]:.7f}; max |difference| "
        f"{np.abs(a[moved] - b[moved]).max():.2e}"
    )
    explain_costs(prices, ours)
    print(f"rp-tui run_backtest  {ours_s:8.3f} s   (best of 15)")
    print(f"bt.run               {bt_s:8.3f} s   (best of 5; {bt_s / ours_s:.0f}x rp-tui)")


if __name__ == "__main__":
    main()
