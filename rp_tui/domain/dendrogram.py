"""The single-linkage dendrogram of a distance matrix and its optimal leaf order, for HRP's
quasi-diagonalisation: the same trees and orders as scipy's ``linkage(method="single")``,
``optimal_leaf_ordering`` and ``leaves_list``, without importing ``scipy.cluster``.

Why not scipy's: importing ``scipy.cluster`` (it loads ``scipy.spatial``, ``sparse`` and
``special``) took 0.3-0.4 s, paid by every process that solves HRP once (each sweep worker,
each ``rp-tui backtest --method hrp``), and scipy's compiled leaf ordering took ~330 µs for 7
assets (scipy 1.17), 15× its linkage. Both are re-done here with numpy, step for step as
scipy does them, so that ties break alike and the ordering's float32 sums round alike:
``tests/domain/test_hrp_order.py`` holds the two equal, on exact ties too.

Sources: linkage by Prim's minimum spanning tree (Rohlf 1973; D. Müllner 2011, "Modern
hierarchical, agglomerative clustering algorithms", arXiv:1109.2378, as scipy does it); leaf
ordering by Z. Bar-Joseph, D. Gifford, T. Jaakkola 2001, "Fast optimal leaf ordering for
hierarchical clustering", Bioinformatics 17 (suppl. 1).
"""

from __future__ import annotations

import numpy as np

_FLOAT32_INF = np.float32(np.inf)
_CELLS = 1 << 20  # the most (u, w, m, k) sums held at once: 4 MB of float32


def single_linkage(distance: np.ndarray) -> np.ndarray:
    """The merges of single-linkage clustering, ``(n − 1, 2)`` int: row ``i`` joins the two
    clusters it names into cluster ``n + i`` (leaves are ``0 … n − 1``), the smaller label
    first, in order of increasing merge distance (scipy's ``Z[:, :2]``).

    Args:
        distance: symmetric ``(n, n)`` distances, finite, ``n ≥ 2``; the diagonal is ignored.
    """
    n = distance.shape[0]
    nearest = np.full(n, np.inf)  # each leaf's distance to the tree grown so far
    outside = np.ones(n, dtype=bool)
    edges, heights = np.empty((n - 1, 2), dtype=np.intp), np.empty(n - 1)
    x = 0
    for k in range(n - 1):  # Prim, from leaf 0: the nearest leaf outside joins next
        outside[x] = False
        np.minimum(nearest, distance[x], out=nearest)
        y = int(np.argmin(np.where(outside, nearest, np.inf)))  # the first of equals
        edges[k], heights[k] = (x, y), nearest[y]
        x = y
    edges = edges[np.argsort(heights, kind="stable")]
    parent = list(range(2 * n - 1))  # union-find over cluster labels

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    merges = np.empty((n - 1, 2), dtype=np.intp)
    for i, (a, b) in enumerate(edges.tolist()):
        a, b = root(a), root(b)
        merges[i] = (a, b) if a < b else (b, a)
        parent[a] = parent[b] = n + i
    return merges


def leaves(merges: np.ndarray, swapped: np.ndarray | None = None) -> np.ndarray:
    """The leaves left to right, ``(n,)`` int32 (scipy's ``leaves_list``): each cluster's
    first child's leaves first, or its second child's where ``swapped`` (``(n − 1,)`` bool,
    per merge) says so."""
    n = len(merges) + 1
    order, stack = [], [2 * n - 2]
    while stack:  # depth first, the first child on top
        node = stack.pop()
        if node < n:
            order.append(node)
            continue
        first, second = merges[node - n].tolist()
        if swapped is not None and swapped[node - n]:
            first, second = second, first
        stack += (second, first)
    return np.array(order, dtype=np.int32)


def optimal_leaf_order(merges: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """The leaves in the order that flips clusters of the dendrogram so that neighbours are
    close (Bar-Joseph et al. 2001), ``(n,)`` int32, as scipy's ``optimal_leaf_ordering``
    followed by ``leaves_list`` gives it, ``n ≥ 2``.

    As scipy does: in the dendrogram's own leaf order, each merge of clusters L and R records
    ``M[u, w]``, the least sum of neighbour distances of an ordering of L ∪ R from leaf u of
    L to leaf w of R, as float32 (``M[u, m] + M[k, w]`` summed in float32, then ``D[m, k]``
    added in float64 and rounded to float32); the merge's best (u, w), the first in row
    order, decides whether each child is flipped. A cluster is flipped when an odd number
    of the flips above it, itself included, say so.

    Args:
        merges: from :func:`single_linkage`, ``(n − 1, 2)``, each row's smaller label first.
        distance: the symmetric ``(n, n)`` distances it was built from.
    """
    n = len(merges) + 1
    start = leaves(merges)
    # positions in the dendrogram's order, where every cluster is a range of positions
    d = distance.take(start, axis=0).take(start, axis=1)
    span = np.empty((2 * n - 1, 2), dtype=np.intp)  # ranges [first, end) of positions
    span[start, 0] = np.arange(n)
    span[start, 1] = np.arange(1, n + 1)
    for i, (a, b) in enumerate(merges.tolist()):
        span[n + i] = span[a, 0], span[b, 1]
    best = np.zeros((n, n), dtype=np.float32)  # M (0 from a leaf to itself)
    flip = np.zeros(n - 1, dtype=bool)
    for a, b in merges.tolist():
        (l0, l1), (r0, r1) = span[a].tolist(), span[b].tolist()
        if a < n and b < n:  # two leaves: the one ordering costs their distance (in float32)
            best[l0, r0] = best[r0, l0] = d[l0, r0]
            continue
        if a < n:  # a leaf and a cluster (a merge names the smaller label, a leaf, first):
            # the leaf's own M is 0, and 0 + x is x in float32, so its side drops out
            right = _ends(best, r0, r1, span[merges[b - n, 0], 1])
            cost = np.minimum.reduce((right + d[l0, r0:r1]).astype(np.float32), axis=1)
            cost = cost[None, :]  # u = m = the leaf, then k … w in R
        else:
            cost = _joined_cost(best, d, span, merges, a, b)
        best[l0:l1, r0:r1], best[r0:r1, l0:l1] = cost, cost.T
        u, w = divmod(int(cost.argmin()), r1 - r0)
        if a >= n:  # u in L's second child: L is flipped to start there
            flip[a - n] = u + l0 >= span[merges[a - n, 0], 1]
        if b >= n:  # w in R's first child: R is flipped to end there
            flip[b - n] = w + r0 < span[merges[b - n, 0], 1]
    for i in range(n - 2, -1, -1):  # each parent's parity is final before its children's
        for child in merges[i].tolist():
            if child >= n:
                flip[child - n] ^= flip[i]
    return leaves(merges, flip)


def _joined_cost(best, d, span, merges, a: int, b: int) -> np.ndarray:
    """``M[u, w]`` for u in cluster ``a`` and w in cluster ``b`` (both merges), float32
    ``(|a|, |b|)``: the least ``f32(f32(M[u, m] + M[k, w]) + D[m, k])`` over m in the other
    child of ``a`` from u, k in the other child of ``b`` from w."""
    n = len(merges) + 1
    (l0, l1), (r0, r1) = span[a].tolist(), span[b].tolist()
    left = _ends(best, l0, l1, span[merges[a - n, 0], 1])
    right = _ends(best, r0, r1, span[merges[b - n, 0], 1])
    cost = np.empty((l1 - l0, r1 - r0), dtype=np.float32)
    rows = max(1, _CELLS // (r1 - r0) ** 2 // (l1 - l0))  # u at a time: bounded memory
    for u in range(0, l1 - l0, rows):  # (u, w, m, k): u … m in L, then k … w in R
        joined = left[u : u + rows, None, :, None] + right[None, :, None, :]  # float32
        cost[u : u + rows] = np.minimum.reduce(
            (joined + d[l0:l1, r0:r1]).astype(np.float32), axis=(2, 3)
        )
    return cost


def _ends(best: np.ndarray, first: int, end: int, middle: int) -> np.ndarray:
    """``M`` on a merged cluster's positions ``[first, end)``, float32: an ordering from u
    ends at m in the other child (``middle``: where the second child starts), +inf where
    u and m are in the same child."""
    block = best[first:end, first:end].copy()
    cut = middle - first
    block[:cut, :cut] = _FLOAT32_INF
    block[cut:, cut:] = _FLOAT32_INF
    return block
