"""Whether asset-class groups can all hold: the closed form for groups that share no asset
agrees with a linear programme (scipy's HiGHS, the oracle), and opening a portfolio with
groups no longer imports scipy.optimize."""

import subprocess
import sys

import numpy as np
import pytest
from scipy.optimize import linprog

from rp_tui.domain.constraints import Constraints, Group, InfeasibleError


def lp_feasible(c: Constraints) -> bool:
    rows = np.array([g.members for g in c.groups], dtype=float)
    result = linprog(
        np.zeros(len(c.lower)),
        A_ub=np.vstack([rows, -rows]),
        b_ub=np.r_[[g.upper for g in c.groups], [-g.lower for g in c.groups]],
        A_eq=np.ones((1, len(c.lower))),
        b_eq=[1.0],
        bounds=list(zip(c.lower, c.upper, strict=True)),
        method="highs",
    )
    return result.status == 0


def random_classes(seed: int) -> tuple[Constraints, float]:
    """Seeded bounds and 1-3 disjoint asset classes (some assets in none), and how far the
    closed form's sums are from 1 (cases nearer than 1e-6 are left to the tolerances)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 9))
    lower = np.where(rng.random(n) < 0.5, rng.uniform(0, 0.2, n), 0.0)
    upper = np.where(rng.random(n) < 0.5, rng.uniform(0.2, 0.6, n), 1.0)
    label = rng.integers(-1, int(rng.integers(1, 4)), n)  # -1: no class
    groups = []
    for k in range(label.max() + 1):
        members = label == k
        if members.any():
            lo, hi = sorted(rng.uniform(0, 1, 2))
            groups.append(Group(f"class{k}", members, round(lo, 2), round(hi, 2)))
    c = Constraints(lower, upper, tuple(groups))
    if not groups:
        return c, 0.0
    members = np.array([g.members for g in groups])
    low = np.maximum([g.lower for g in groups], members @ lower)
    high = np.minimum([g.upper for g in groups], members @ upper)
    free = ~members.any(axis=0)
    least, most = low.sum() + lower[free].sum(), high.sum() + upper[free].sum()
    return c, min(abs(least - 1), abs(most - 1), np.min(high - low, initial=1.0))


def test_the_closed_form_agrees_with_a_linear_programme():
    feasible = infeasible = 0
    for seed in range(600):
        c, margin = random_classes(seed)
        if margin < 1e-6:
            continue
        try:
            c.check_feasible()
            ok = True
        except InfeasibleError:
            ok = False
        assert ok == lp_feasible(c), seed
        feasible += ok
        infeasible += not ok
    assert feasible > 100 and infeasible > 100  # both answers are exercised


def test_classes_that_cannot_all_hold_are_named_together():
    """Stocks at least 70 % and bonds at least 40 %: each fits alone, not both."""
    stocks, bonds = np.array([1, 1, 0, 0], bool), np.array([0, 0, 1, 1], bool)
    c = Constraints(
        np.zeros(4), np.ones(4), (Group("stocks", stocks, 0.7, 1), Group("bonds", bonds, 0.4, 1))
    )
    with pytest.raises(InfeasibleError, match=r"groups \(stocks 0.7..1; bonds 0.4..1\) cannot"):
        c.check_feasible()
    Constraints(np.zeros(4), np.ones(4), (Group("bonds", bonds, 0.4, 1),)).check_feasible()


def test_overlapping_groups_still_go_to_the_linear_programme():
    a, b = np.array([1, 1, 0], bool), np.array([0, 1, 1], bool)  # share the second asset
    upper = np.array([0.1, 1, 0.1])  # a ≥ 0.9 and b ≤ 0.95 hold, say w = (0.05, 0.9, 0.05)
    Constraints(
        np.zeros(3), upper, (Group("a", a, 0.9, 1), Group("b", b, 0, 0.95))
    ).check_feasible()
    with pytest.raises(InfeasibleError, match="cannot all hold"):  # b ≤ 0.85 and a ≥ 0.9: no
        Constraints(
            np.zeros(3), upper, (Group("a", a, 0.9, 1), Group("b", b, 0, 0.85))
        ).check_feasible()


def test_opening_a_portfolio_with_groups_does_not_import_scipy_optimize(tmp_path):
    from tests.conftest import REPO

    text = (REPO / "rp_tui" / "examples" / "multi-asset.toml").read_text()
    assert "\n[groups]\n" in text and 'asset_class = "bonds"' in text
    text = text.replace("\n[groups]\n", "\n[groups]\nbonds = { min = 0.4, max = 1.0 }\n")
    config = tmp_path / "portfolio.toml"
    config.write_text(text)
    code = (
        "import sys\n"
        "from rp_tui.services.session import open_session\n"
        f"session = open_session({str(config)!r}, None)\n"
        "print(len(session.portfolio.constraints().groups), 'scipy.optimize' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["1", "False"], out.stderr


def test_the_feasible_start_is_found_once_per_constraints(monkeypatch):
    """A grouped portfolio's strictly feasible start takes a linear programme: one per
    Constraints, not one per rebalance; what every solve shares cannot be written."""
    from rp_tui.domain import barrier, optimize

    calls = []
    real = barrier.strictly_feasible
    monkeypatch.setattr(barrier, "strictly_feasible", lambda *a: calls.append(1) or real(*a))
    equity = np.array([1, 1, 1, 0, 0], bool)
    c = Constraints(np.zeros(5), np.full(5, 0.5), (Group("equity", equity, 0.7, 1),))
    rng = np.random.default_rng(3)
    for _ in range(5):
        x = rng.normal(size=(200, 5)) * 0.01
        w = optimize.min_variance_weights(np.cov(x, rowvar=False), c)
        assert w[:3].sum() >= 0.7 - 1e-9 and c.satisfied(w, 1e-9)
    assert len(calls) == 1
    found = optimize._feasible(c)
    assert not found.start.flags.writeable and not found.rows.G.flags.writeable
    other = Constraints(np.zeros(5), np.full(5, 0.5), (Group("equity", equity, 0.7, 1),))
    optimize._feasible(other)
    assert len(calls) == 2  # another Constraints finds its own


def test_conflicting_constraints_are_refused_at_every_solve():
    from rp_tui.domain import optimize

    equity = np.array([1, 1, 0], bool)
    c = Constraints(np.zeros(3), np.array([0.3, 0.3, 1]), (Group("equity", equity, 0.7, 1),))
    for _ in range(2):
        with pytest.raises(InfeasibleError, match="group equity"):
            optimize.min_variance_weights(np.eye(3) * 1e-4, c)
