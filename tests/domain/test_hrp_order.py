"""HRP's leaf order, built without scipy.cluster (rp_tui.domain.dendrogram), equals scipy's
``linkage`` + ``optimal_leaf_ordering`` + ``leaves_list``: on real correlation distances and
on distances full of exact ties (which break the same way only if every step is scipy's)."""

import subprocess
import sys

import numpy as np
import pytest
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform

from rp_tui.domain.dendrogram import single_linkage
from rp_tui.domain.hrp import leaf_order


def public_order(distance: np.ndarray, optimal: bool) -> np.ndarray:
    condensed = squareform(distance, checks=False)
    tree = hierarchy.linkage(condensed, method="single")
    if optimal and len(distance) > 2:
        tree = hierarchy.optimal_leaf_ordering(tree, condensed)
    return hierarchy.leaves_list(tree)


def symmetric(upper: np.ndarray) -> np.ndarray:
    distance = np.triu(upper, 1)
    return distance + distance.T


def correlation_distances(seed: int) -> np.ndarray:
    """Correlation distances of a factor model, some assets near twins."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 31))
    loadings = rng.normal(size=(n, 3))
    if n > 3 and seed % 3 == 0:
        loadings[1] = loadings[0]
        loadings[n - 1] = loadings[2]
    returns = rng.normal(size=(120, 3)) @ loadings.T + rng.normal(size=(120, n)) * 0.5
    corr = np.corrcoef(returns, rowvar=False)
    return symmetric(np.sqrt(np.clip((1.0 - corr) / 2.0, 0.0, None)))


def tied_distances(seed: int) -> np.ndarray:
    """Distances from a few values only: equal merge heights and equal orderings abound."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 31))
    if seed % 2:
        return symmetric(rng.integers(1, 5, size=(n, n)) / 8.0)  # exact in binary
    return symmetric(rng.integers(1, 30, size=(n, n)) * 0.1)  # sums that round


@pytest.mark.parametrize("optimal", [True, False])
@pytest.mark.parametrize("distances", [correlation_distances, tied_distances])
def test_the_order_is_scipys_own(optimal, distances):
    for seed in range(300):
        distance = distances(seed)
        ours = leaf_order(distance, "single", optimal)
        assert ours.dtype == np.int32
        assert ours.tolist() == public_order(distance, optimal).tolist(), seed


def test_the_merges_are_scipys_own():
    for seed in range(100):
        distance = tied_distances(seed)
        tree = hierarchy.linkage(squareform(distance, checks=False), method="single")
        assert single_linkage(distance).tolist() == tree[:, :2].astype(int).tolist(), seed


def test_other_linkage_methods_take_scipys_path():
    distance = correlation_distances(4)
    condensed = squareform(distance, checks=False)
    tree = hierarchy.optimal_leaf_ordering(hierarchy.linkage(condensed, "average"), condensed)
    assert leaf_order(distance, "average").tolist() == hierarchy.leaves_list(tree).tolist()


def test_a_distance_that_is_not_finite_is_refused_as_scipy_refuses_it():
    distance = correlation_distances(1)
    distance[0, 1] = distance[1, 0] = np.nan
    with pytest.raises(ValueError, match="must contain only finite values"):
        leaf_order(distance)
    with pytest.raises(ValueError, match="must contain only finite values"):
        public_order(distance, True)


def test_an_hrp_solve_does_not_import_scipy_cluster():
    """The point of building the dendrogram here: scipy.cluster takes 0.3 s to import."""
    code = (
        "import sys, numpy as np\n"
        "from rp_tui.domain.hrp import hrp_weights\n"
        "x = np.random.default_rng(0).normal(size=(60, 5))\n"
        "hrp_weights(np.cov(x, rowvar=False))\n"
        "print(sorted(m for m in sys.modules if m.startswith('scipy.cluster')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
