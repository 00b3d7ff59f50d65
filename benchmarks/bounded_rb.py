"""Figures for issue #10 item 7: risk budgeting under bounds on 1,000 random feasible
problems, beside skfolio's ``RiskBudgeting`` (a conic solver on the same homogeneous
problem, min_weights·s ≤ w ≤ max_weights·s, 1'w = s).

Cases: ``feasible_case(seed)`` of ``tests/domain/test_bounded_rb.py`` for seeds 0..999 (the
hypothesis test draws from the same generator): 2-30 assets; factor, ill-conditioned
(eigenvalues over 4-8 decades), highly correlated (ρ 0.9-0.995) and negatively correlated
block covariances; random budgets; random bounds with Σlower ≤ 1 ≤ Σupper, including fixed
and excluded assets and Σlower = 1 or Σupper = 1.

Where the two differ by more than 1e-4 the better one is the feasible one with the lower
objective ``½ ln(w'Σw) − Σ b_i ln w_i`` (rp-tui's answers carry verified KKT conditions).
skfolio is not asked about cases with an excluded asset (max 0: its ``log w`` has no
feasible point).

Times: rp-tui's covers the unconstrained Newton and, where bounds bind, the bounded solve
(from the covariance); skfolio's covers ``fit`` on the returns (its covariance included).

Run: ``.venv/bin/python benchmarks/bounded_rb.py [cases]``. Prints a table; asserts nothing.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(cases: int = 1000) -> None:
    from rp_tui.domain import barrier
    from tests.domain.test_bounded_rb import (
        feasible_case,
        rb_objective,
        skfolio_weights,
        solve,
    )

    results = []
    original = barrier.minimize

    def counting(*args, **kwargs):
        result = original(*args, **kwargs)
        results.append(result)
        return result

    barrier.minimize = counting
    failures, violation, ours_s, theirs_s = [], 0.0, [], []
    diff, differ, ours_better, theirs_better, sk_failed, sk_skipped = 0.0, 0, 0, 0, 0, 0
    binding, bound_s = 0, []
    for seed in range(cases):
        case = feasible_case(seed)
        lower, upper = case["lower"], case["upper"]
        start = time.perf_counter()
        try:
            w, constraints = solve(case)
        except Exception as exc:  # counted and shown
            failures.append((seed, repr(exc)))
            continue
        ours_s.append(time.perf_counter() - start)
        bound = not constraints.satisfied(_erc(case))  # the bounded solver was needed
        binding += bound
        if bound:
            bound_s.append(ours_s[-1])
        gap = max(np.max(lower - w), np.max(w - upper), abs(w.sum() - 1.0), 0.0)
        violation = max(violation, gap)
        if gap > 1e-9:
            failures.append((seed, f"constraint violated by {gap:.1e}"))
        if np.any(upper <= 0):
            sk_skipped += 1
            continue
        start = time.perf_counter()
        theirs = skfolio_weights(case)
        theirs_s.append(time.perf_counter() - start)
        if theirs is None:
            sk_failed += 1
            continue
        d = float(np.abs(theirs - w).max())
        diff = max(diff, d)
        if d > 1e-4:
            differ += 1
            their_gap = max(np.max(lower - theirs), np.max(theirs - upper), abs(theirs.sum() - 1))
            cov, b = case["cov"], case["budgets"]
            if their_gap > 1e-9 or rb_objective(w, cov, b) <= rb_objective(theirs, cov, b):
                ours_better += 1
            else:
                theirs_better += 1
    barrier.minimize = original

    polished = sum(r.polished for r in results)
    steps = np.array([r.newton_steps for r in results])
    ours_ms, theirs_ms = np.array(ours_s) * 1e3, np.array(theirs_s) * 1e3
    print(f"bounded risk budgeting, {cases} random feasible cases (2-30 assets)")
    print(f"  failures                          {len(failures)}")
    for seed, why in failures[:10]:
        print(f"    seed {seed}: {why}")
    print(f"  cases where the bounds bind       {binding}")
    print(f"  barrier solves, KKT-verified      {polished} of {len(results)}")
    if len(steps):
        print(
            f"  Newton steps per solve            median {np.median(steps):.0f}, max {steps.max()}"
        )
    print(f"  max bound/budget violation        {violation:.1e}")
    print(f"  max |w - w_skfolio|               {diff:.1e}")
    print(
        f"  cases differing by > 1e-4         {differ}: rp-tui better (lower objective or "
        f"skfolio infeasible) {ours_better}, skfolio better {theirs_better}"
    )
    print(f"  skfolio failed / not asked        {sk_failed} / {sk_skipped}")
    print(
        f"  time per solve, rp-tui            median {np.median(ours_ms):.2f} ms, "
        f"p99 {np.quantile(ours_ms, 0.99):.2f} ms, max {ours_ms.max():.2f} ms"
    )
    print(f"    of which where bounds bind      median {np.median(bound_s) * 1e3:.2f} ms")
    print(
        f"  time per solve, skfolio           median {np.median(theirs_ms):.2f} ms, "
        f"p99 {np.quantile(theirs_ms, 0.99):.2f} ms, max {theirs_ms.max():.2f} ms"
    )


def _erc(case: dict) -> np.ndarray:
    from rp_tui.domain.allocation import erc_weights

    return erc_weights(case["cov"], case["budgets"])


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
