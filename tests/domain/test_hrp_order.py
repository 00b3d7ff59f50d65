"""HRP's leaf order through scipy's compiled cores equals scipy's public functions (which
validate the same arrays again), including ties between equal distances."""

import numpy as np
import pytest
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform

from rp_tui.domain.hrp import _compiled_cores, leaf_order


def public_order(condensed: np.ndarray, n: int, optimal: bool) -> np.ndarray:
    tree = hierarchy.linkage(condensed, method="single")
    if optimal and n > 2:
        tree = hierarchy.optimal_leaf_ordering(tree, condensed)
    return hierarchy.leaves_list(tree)


def distances(seed: int) -> tuple[np.ndarray, int]:
    """Correlation distances of a factor model, some assets repeated (equal distances)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 31))
    loadings = rng.normal(size=(n, 3))
    if n > 3 and seed % 3 == 0:
        loadings[1] = loadings[0]  # twins: ties for the linkage to break
        loadings[n - 1] = loadings[2]
    returns = rng.normal(size=(120, 3)) @ loadings.T + rng.normal(size=(120, n)) * 0.5
    corr = np.corrcoef(returns, rowvar=False)
    distance = np.sqrt(np.clip((1.0 - corr) / 2.0, 0.0, None))
    np.fill_diagonal(distance, 0.0)
    return squareform(distance, checks=False), n


def test_the_compiled_cores_are_found():
    assert _compiled_cores() is not None, "scipy moved them: HRP takes the slow public path"


@pytest.mark.parametrize("optimal", [True, False])
def test_the_order_is_scipys_own(optimal):
    for seed in range(150):
        condensed, n = distances(seed)
        ours = leaf_order(condensed, n, "single", optimal)
        assert ours.dtype == np.int32
        assert ours.tolist() == public_order(condensed, n, optimal).tolist(), seed


def test_other_linkage_methods_take_the_public_path():
    condensed, n = distances(4)
    tree = hierarchy.optimal_leaf_ordering(hierarchy.linkage(condensed, "average"), condensed)
    assert leaf_order(condensed, n, "average").tolist() == hierarchy.leaves_list(tree).tolist()


def test_a_distance_that_is_not_finite_is_refused_as_scipy_refuses_it():
    condensed, n = distances(1)
    condensed[0] = np.nan
    with pytest.raises(ValueError, match="must contain only finite values"):
        leaf_order(condensed, n)
    with pytest.raises(ValueError, match="must contain only finite values"):
        public_order(condensed, n, True)
