"""Hierarchical risk parity (M. López de Prado 2016, "Building Diversified Portfolios that
Outperform Out of Sample", Journal of Portfolio Management 42(4)).

Tree clustering of the correlation distance ``sqrt((1 − ρ)/2)`` with single linkage,
quasi-diagonalisation (the dendrogram's leaf order), then recursive bisection splitting
weight between the two halves in inverse proportion to their inverse-variance cluster
variances.
"""

from __future__ import annotations

import numpy as np

from rp_tui.domain.dendrogram import leaves, optimal_leaf_order, single_linkage


def hrp_weights(
    cov: np.ndarray, linkage_method: str = "single", optimal_ordering: bool = True
) -> np.ndarray:
    """HRP weights, ``(n_assets,)``, long-only, summing to 1.

    Args:
        cov: covariance ``(n_assets, n_assets)``, positive variances.
        linkage_method: scipy linkage method (the paper uses ``"single"``).
        optimal_ordering: reorder the leaves so neighbours are closest (Bar-Joseph et al.
            2001), as skfolio does; ``False`` keeps the paper's plain leaf order.

    Raises:
        ValueError: a correlation distance that is not finite (a NaN covariance).
    """
    cov = np.asarray(cov, dtype=float)
    n = cov.shape[0]
    if n == 1:
        return np.ones(1)
    vol = np.sqrt(cov.diagonal())
    corr = np.minimum(np.maximum(cov / np.outer(vol, vol), -1.0), 1.0)  # np.clip's, sooner
    distance = np.sqrt(np.maximum((1.0 - corr) / 2.0, 0.0))
    np.fill_diagonal(distance, 0.0)
    order = leaf_order(distance, linkage_method, optimal_ordering)

    weights = np.ones(n)
    clusters = [order]
    while clusters:
        clusters = [
            half for c in clusters if len(c) > 1 for half in (c[: len(c) // 2], c[len(c) // 2 :])
        ]
        for left, right in zip(clusters[::2], clusters[1::2], strict=True):
            v_left, v_right = _cluster_variance(cov, left), _cluster_variance(cov, right)
            alpha = 1.0 - v_left / (v_left + v_right)
            weights[left] *= alpha
            weights[right] *= 1.0 - alpha
    return weights / weights.sum()


def leaf_order(
    distance: np.ndarray, linkage_method: str = "single", optimal_ordering: bool = True
) -> np.ndarray:
    """The dendrogram's leaves in order, ``(n,)`` int32, as scipy's ``linkage``, then
    ``optimal_leaf_ordering`` (``n > 2``) and ``leaves_list`` give them.

    Single linkage is built here (:mod:`rp_tui.domain.dendrogram`: the same orders without
    scipy.cluster's 0.3 s import and its 330 µs leaf ordering); any other method goes
    through scipy.

    Args:
        distance: symmetric ``(n, n)`` distances, zero diagonal, ``n ≥ 2``.

    Raises:
        ValueError: a distance that is not finite (as ``linkage`` raises it).
    """
    distance = np.asarray(distance, dtype=float)
    if linkage_method != "single":
        from scipy.cluster import hierarchy
        from scipy.spatial.distance import squareform

        condensed = squareform(distance, checks=False)
        tree = hierarchy.linkage(condensed, method=linkage_method)
        if optimal_ordering and len(distance) > 2:
            tree = hierarchy.optimal_leaf_ordering(tree, condensed)
        return hierarchy.leaves_list(tree)
    if not np.isfinite(distance).all():
        raise ValueError("The distance matrix must contain only finite values.")
    merges = single_linkage(distance)
    if optimal_ordering and len(distance) > 2:
        return optimal_leaf_order(merges, distance)
    return leaves(merges)


def _cluster_variance(cov: np.ndarray, members: np.ndarray) -> float:
    sub = cov.take(members, axis=0).take(members, axis=1)  # cov[np.ix_(m, m)], 7x sooner
    inv = 1.0 / sub.diagonal()
    w = inv / np.add.reduce(inv)
    return float(w @ sub @ w)
