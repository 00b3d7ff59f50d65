"""Many windows at once give the numbers of one window at a time, bit for bit: the batched
ERC (erc_weights_many) and allocate_many, whatever the budgets, constraints and volatility
target; a window that cannot be weighted raises the single call's error."""

from __future__ import annotations

import numpy as np
import pytest

from rp_tui.domain.allocation import AllocationError, erc_weights, erc_weights_many
from rp_tui.domain.constraints import Constraints
from rp_tui.domain.returns import sample_covariance, sample_covariances
from rp_tui.domain.strategy import AllocationSpec, allocate, allocate_many


def factor_returns(rng, days: int, n: int) -> np.ndarray:
    """Daily returns of a two-factor model with idiosyncratic noise, ``(days, n)``."""
    loadings = rng.normal(size=(2, n)) * rng.uniform(0.002, 0.02)
    noise = rng.normal(size=(days, n)) * rng.uniform(0.001, 0.03, size=n)
    return rng.normal(size=(days, 2)) @ loadings + noise


@pytest.mark.parametrize("seed", range(40))
def test_erc_weights_many_is_erc_weights_row_by_row(seed):
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(2, 31)), int(rng.integers(1, 40))
    days = int(rng.integers(n + 3, 300))
    covs = np.stack([np.cov(factor_returns(rng, days, n), rowvar=False) for _ in range(k)])
    budgets = None if seed % 3 else rng.uniform(0.05, 1.0, size=n)
    single = np.array([erc_weights(c, budgets) for c in covs])
    assert np.array_equal(erc_weights_many(covs, budgets), single)


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (np.diag([1.0, 0.0, 1.0]), "asset 1 has zero variance"),
        (np.full((3, 3), np.nan), "NaN or infinite"),
        (np.array([[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]]), "not positive definite"),
    ],
)
def test_a_failing_covariance_raises_the_single_calls_error_with_its_row(broken, message):
    covs = np.stack([np.eye(3), np.eye(3), broken, broken])
    with pytest.raises(AllocationError, match=message) as raised:
        erc_weights_many(covs)
    assert raised.value.index == 2
    with pytest.raises(AllocationError, match="risk budgets must be positive"):
        erc_weights_many(covs[:2], np.array([1.0, 0.0, 1.0]))


SPECS = [
    AllocationSpec("erc"),
    AllocationSpec("erc", estimator="ewma", returns="log", outliers="winsorize"),
    AllocationSpec("risk-budget", budgets=np.array([0.4, 0.3, 0.1, 0.1, 0.1])),
    AllocationSpec("downside-erc", target_volatility=0.05),
    AllocationSpec("erc", estimator="ledoit-wolf", outliers="mad", outlier_level=4.0),
    AllocationSpec(  # bounds that bind: the bounded solve, warm-started from each row's ERC
        "erc", constraints=Constraints(np.full(5, 0.1), np.full(5, 0.3))
    ),
    AllocationSpec("inverse-vol"),  # not risk budgeting: window by window
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.method)
def test_allocate_many_is_allocate_window_by_window(spec):
    rng = np.random.default_rng(7)
    returns = factor_returns(rng, 700, 5)
    windows = np.stack([returns[end - 126 : end] for end in range(126, 700, 21)])
    many = allocate_many(windows, spec)
    for window, batched in zip(windows, many, strict=True):
        alone = allocate(window, spec)
        assert np.array_equal(batched.weights, alone.weights)
        assert np.array_equal(batched.covariance, alone.covariance)
        assert (batched.exact, batched.scale, batched.notes) == (
            alone.exact,
            alone.scale,
            alone.notes,
        )
    assert allocate_many(windows[:0], spec) == []


@pytest.mark.parametrize(("k", "n_obs", "n_assets"), [(1, 2, 1), (7, 63, 5), (32, 252, 20)])
def test_sample_covariances_are_each_windows_sample_covariance_bit_for_bit(k, n_obs, n_assets):
    rng = np.random.default_rng(k)
    windows = rng.standard_normal((k, n_obs, n_assets)) * 0.01 + rng.normal(0, 1e-3, n_assets)
    together = sample_covariances(windows)
    for window, cov in zip(windows, together, strict=True):
        assert cov.tobytes() == sample_covariance(window).tobytes()
    with pytest.raises(ValueError, match="at least 2 returns"):
        sample_covariances(windows[:, :1])
