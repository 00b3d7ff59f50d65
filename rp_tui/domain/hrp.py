"""Hierarchical risk parity (M. López de Prado 2016, "Building Diversified Portfolios that
Outperform Out of Sample", Journal of Portfolio Management 42(4)).

Tree clustering of the correlation distance ``sqrt((1 − ρ)/2)`` with single linkage,
quasi-diagonalisation (the dendrogram's leaf order), then recursive bisection splitting
weight between the two halves in inverse proportion to their inverse-variance cluster
variances.
"""

from __future__ import annotations

import numpy as np


def hrp_weights(
    cov: np.ndarray, linkage_method: str = "single", optimal_ordering: bool = True
) -> np.ndarray:
    """HRP weights, ``(n_assets,)``, long-only, summing to 1.

    Args:
        cov: covariance ``(n_assets, n_assets)``, positive variances.
        linkage_method: scipy linkage method (the paper uses ``"single"``).
        optimal_ordering: reorder the leaves so neighbours are closest (Bar-Joseph et al.
            2001), as skfolio does; ``False`` keeps the paper's plain leaf order.
    """
    from scipy.cluster.hierarchy import leaves_list, linkage, optimal_leaf_ordering
    from scipy.spatial.distance import squareform

    cov = np.asarray(cov, dtype=float)
    n = cov.shape[0]
    if n == 1:
        return np.ones(1)
    vol = np.sqrt(np.diag(cov))
    corr = np.clip(cov / np.outer(vol, vol), -1.0, 1.0)
    distance = np.sqrt(np.clip((1.0 - corr) / 2.0, 0.0, None))
    np.fill_diagonal(distance, 0.0)
    condensed = squareform(distance, checks=False)
    tree = linkage(condensed, method=linkage_method)
    if optimal_ordering and n > 2:
        tree = optimal_leaf_ordering(tree, condensed)
    order = leaves_list(tree)

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


def _cluster_variance(cov: np.ndarray, members: np.ndarray) -> float:
    sub = cov[np.ix_(members, members)]
    inv = 1.0 / np.diag(sub)
    w = inv / inv.sum()
    return float(w @ sub @ w)
