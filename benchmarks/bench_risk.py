"""Figures for issue #4's risk analytics: Monte Carlo VaR (Gaussian mixture, 5,000 paths,
20 assets) beside the historical and parametric estimates, and the mixture fit alone.

Data: 252 days × 20 assets from a seeded 3-factor model with fat-tailed shocks.
Run: ``.venv/bin/python benchmarks/bench_risk.py``. Prints a table; asserts nothing.
"""

from __future__ import annotations

import numpy as np
from timing import best_of


def main() -> None:
    from rp_tui.domain.mixture import fit_gaussian_mixture
    from rp_tui.domain.risk_measures import value_at_risk

    rng = np.random.default_rng(4)
    factors = rng.standard_t(5, size=(252, 3)) * 0.008
    returns = factors @ rng.normal(size=(3, 20)) * 0.6 + rng.standard_t(5, size=(252, 20)) * 0.006
    w = np.full(20, 0.05)
    rows = [
        (
            "Gaussian-mixture fit (2 components, 252x20)",
            best_of(lambda: fit_gaussian_mixture(returns, 2, 0)),
        ),
        (
            "Monte Carlo VaR+CVaR, 5,000 paths, 1 day",
            best_of(lambda: value_at_risk(returns, w, horizons=(1,), methods=("monte-carlo",))),
        ),
        (
            "Monte Carlo VaR+CVaR, 5,000 paths, 1 day + 21 days",
            best_of(lambda: value_at_risk(returns, w, methods=("monte-carlo",))),
        ),
        (
            "historical VaR+CVaR, 1 day + 21 days",
            best_of(lambda: value_at_risk(returns, w, methods=("historical",))),
        ),
        (
            "parametric VaR+CVaR, 1 day + 21 days",
            best_of(lambda: value_at_risk(returns, w, methods=("parametric",))),
        ),
    ]
    width = max(len(name) for name, _ in rows)
    for name, seconds in rows:
        print(f"{name.ljust(width)}  {seconds * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
