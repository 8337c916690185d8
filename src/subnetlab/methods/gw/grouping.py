"""Layer groups from an L×L dissimilarity matrix: average linkage and contiguous segmentation."""

from __future__ import annotations

import numpy as np
import torch
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from subnetlab.methods.gw.distances import SYMMETRY_RTOL


def _as_square(dist: torch.Tensor | np.ndarray) -> np.ndarray:
    d = np.asarray(
        dist.detach().cpu() if isinstance(dist, torch.Tensor) else dist, dtype=np.float64
    )
    if d.ndim != 2 or d.shape[0] != d.shape[1] or d.shape[0] < 1:
        raise ValueError(f"need a square (L, L) dissimilarity matrix; got shape {d.shape}")
    if not np.isfinite(d).all():
        raise ValueError("the dissimilarity matrix contains NaN or infinite entries")
    asymmetry = float(np.abs(d - d.T).max())
    if asymmetry > SYMMETRY_RTOL * max(1.0, float(np.abs(d).max())):
        raise ValueError(
            f"the dissimilarity matrix is not symmetric (max |D − Dᵀ| = {asymmetry:.3g}); "
            "average linkage and the segmentation assume d(a, b) = d(b, a)"
        )
    d = 0.5 * (d + d.T)  # removes the rounding-level asymmetry left
    np.fill_diagonal(d, 0.0)
    return d


def average_linkage(dist: torch.Tensor | np.ndarray) -> np.ndarray:
    """SciPy average-linkage merge table (L−1, 4) of a symmetric dissimilarity matrix."""
    d = _as_square(dist)
    if d.shape[0] < 2:
        raise ValueError("linkage needs at least two layers")
    return linkage(squareform(d.clip(min=0.0), checks=False), method="average")


def largest_gap_k(merges: np.ndarray) -> int:
    """Number of clusters when cutting at the largest jump between consecutive merge heights.

    With L layers there are L−1 heights h_1 <= … <= h_{L−1}; cutting between h_m and h_{m+1}
    leaves L − m clusters. The jump from 0 to h_1 counts too (cutting there keeps every layer
    alone), so k ranges over 2..L; with L = 2, k = 2 unless both layers coincide exactly.
    """
    heights = np.concatenate([[0.0], np.sort(merges[:, 2])])
    n_layers = merges.shape[0] + 1
    if heights[-1] <= 0.0:
        return 1
    gaps = np.diff(heights)
    merged_before_cut = int(np.argmax(gaps))  # number of merges kept below the cut
    return n_layers - merged_before_cut


def cluster_layers(dist: torch.Tensor | np.ndarray, k: int | None = None) -> np.ndarray:
    """Average-linkage groups: (L,) labels 0..k−1 numbered in order of first appearance along depth.

    Args:
        k: number of groups; None picks it by the largest merge gap.
    """
    d = _as_square(dist)
    n_layers = d.shape[0]
    if k is not None and not 1 <= k <= n_layers:
        raise ValueError(f"k must be between 1 and the number of layers {n_layers}; got {k}")
    if n_layers == 1:
        return np.zeros(1, dtype=np.int64)
    merges = average_linkage(d)
    k = largest_gap_k(merges) if k is None else k
    raw = fcluster(merges, t=k, criterion="maxclust")
    return _relabel_by_depth(raw)


def _relabel_by_depth(labels: np.ndarray) -> np.ndarray:
    order: dict[int, int] = {}
    for label in labels:
        order.setdefault(int(label), len(order))
    return np.array([order[int(label)] for label in labels], dtype=np.int64)


def contiguous_segments(dist: torch.Tensor | np.ndarray, k: int) -> np.ndarray:
    """Split layers 0..L−1 into k consecutive blocks minimising the summed within-block
    dissimilarity Σ_blocks Σ_{i<j in block} d_ij (exact dynamic programming, O(k L²)).

    Returns:
        (L,) labels 0..k−1, non-decreasing along depth.
    """
    d = _as_square(dist)
    n_layers = d.shape[0]
    if not 1 <= k <= n_layers:
        raise ValueError(f"k must be between 1 and the number of layers {n_layers}; got {k}")
    # block_cost[a, b]: within-block sum for layers a..b-1
    upper = np.triu(d, k=1)
    prefix = np.zeros((n_layers + 1, n_layers + 1))
    prefix[1:, 1:] = upper.cumsum(axis=0).cumsum(axis=1)

    def block_cost(a: int, b: int) -> float:
        return prefix[b, b] - prefix[a, b] - prefix[b, a] + prefix[a, a]

    best = np.full((k + 1, n_layers + 1), np.inf)
    cut = np.zeros((k + 1, n_layers + 1), dtype=np.int64)
    best[0, 0] = 0.0
    for blocks in range(1, k + 1):
        for end in range(blocks, n_layers + 1):
            for start in range(blocks - 1, end):
                cost = best[blocks - 1, start] + block_cost(start, end)
                if cost < best[blocks, end]:
                    best[blocks, end], cut[blocks, end] = cost, start
    labels = np.empty(n_layers, dtype=np.int64)
    end = n_layers
    for blocks in range(k, 0, -1):
        start = int(cut[blocks, end])
        labels[start:end] = blocks - 1
        end = start
    return labels


def adjusted_rand_index(
    labels_a: np.ndarray | list[int], labels_b: np.ndarray | list[int]
) -> float:
    """Hubert-Arabie adjusted Rand index of two labelings of the same items (1 = identical
    partitions, about 0 = chance). Two single-cluster labelings count as identical (1.0)."""
    a, b = np.asarray(labels_a), np.asarray(labels_b)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"labelings must be 1-D of equal length; got {a.shape} and {b.shape}")
    _, a_idx = np.unique(a, return_inverse=True)
    _, b_idx = np.unique(b, return_inverse=True)
    table = np.zeros((a_idx.max() + 1, b_idx.max() + 1))
    np.add.at(table, (a_idx, b_idx), 1)

    def pairs(counts: np.ndarray) -> float:
        return float((counts * (counts - 1) / 2).sum())

    index = pairs(table)
    rows, cols, total = (
        pairs(table.sum(axis=1)),
        pairs(table.sum(axis=0)),
        pairs(np.array([a.size])),
    )
    expected = rows * cols / total if total > 0 else 0.0
    maximum = 0.5 * (rows + cols)
    if maximum == expected:
        return 1.0
    return (index - expected) / (maximum - expected)
