"""Layer groups from an L×L dissimilarity matrix: average linkage, the automatic choice of the
groups (the separation rule, or the largest gap of the merge heights), and contiguous segmentation.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from subnetlab.methods.gw.distances import SYMMETRY_RTOL

#: how the groups are chosen when their number is not given (``method.group_rule``)
GroupRule = Literal["separation", "largest_gap"]
GROUP_RULES: tuple[GroupRule, ...] = ("separation", "largest_gap")
#: dissimilarities at most this (times the largest one, when that exceeds 1) count as zero: the
#: rounding of float64 GW between exact isometries (≈ 1e-15 on max-normalised distances)
ZERO_RTOL = 1e-12


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
    alone), so k ranges over 2..L; with L = 2, k = 2 unless both layers coincide exactly. One
    height for all groups: when two families are much closer to each other than to a third, the
    largest jump is the one above their merge, and the two come out as one group.
    """
    heights = np.concatenate([[0.0], np.sort(merges[:, 2])])
    n_layers = merges.shape[0] + 1
    if heights[-1] <= 0.0:
        return 1
    gaps = np.diff(heights)
    merged_before_cut = int(np.argmax(gaps))  # number of merges kept below the cut
    return n_layers - merged_before_cut


def separated_groups(merges: np.ndarray, ratio: float) -> np.ndarray:
    """Groups of the average-linkage tree by the separation rule: (L,) labels 0..k−1 numbered in
    order of first appearance along depth.

    A merge *separates* its two sides A and B when its height (the mean dissimilarity between A
    and B) is at least ``ratio`` times the spread of each side with two or more layers, the spread
    being the mean dissimilarity between that side's own layers (a singleton has none and tells
    nothing). A merge of two single layers never separates them: without a spread on either side
    there is no scale to call its height large against. A group is a subtree in which no merge
    separates; every merge above a separating one splits too. The rule is local, so groups can be
    tight in one branch and loose in another, and k = 1 when no merge separates (one family).
    Dissimilarities at most ``ZERO_RTOL`` × max(1, the largest height) count as zero: a side
    of identical layers has spread zero, so any positive merge above it separates.

    This is Zahn's test for inconsistent edges of a minimum spanning tree, an edge much longer
    than the edges near it on both sides (Zahn 1971, IEEE Trans. Computers C-20(1)), applied
    to the merges of the average-linkage tree with the mean dissimilarity inside each side as
    "the edges near it". Unlike a cut at one height (``largest_gap_k``), it finds families at
    several scales at once: two families much closer to each other than to a third separate at
    their own merge, although that merge is low against the third's.

    Args:
        merges: (L−1, 4) SciPy average-linkage table of L layers (``average_linkage``).
        ratio: how many times the spread of each side a merge must reach, > 1. GW is a squared
            discrepancy of distances, so ratio 4 is a factor 2 on the scale of the distances.

    Raises:
        ValueError: ``ratio`` is not > 1, or ``merges`` is not an (L−1, 4) table.
    """
    if not ratio > 1.0:  # also NaN
        raise ValueError(f"the separation ratio must be > 1; got {ratio}")
    if merges.ndim != 2 or merges.shape[1] != 4:
        raise ValueError(f"need an (L−1, 4) linkage table; got shape {merges.shape}")
    n_layers = merges.shape[0] + 1
    n_nodes = 2 * n_layers - 1
    heights = merges[:, 2]
    zero = ZERO_RTOL * max(1.0, float(heights.max(initial=0.0)))
    size = np.ones(n_nodes)
    pair_sum = np.zeros(n_nodes)  # sum of the dissimilarities between a node's layers
    split = np.zeros(n_nodes, dtype=bool)  # the node or a merge below it separates
    children = merges[:, :2].astype(np.int64)
    for row, (a, b) in enumerate(children):
        node, height = n_layers + row, float(heights[row])
        spreads = [pair_sum[c] / (size[c] * (size[c] - 1) / 2) for c in (a, b) if size[c] >= 2]
        separates = (
            bool(spreads)
            and height > zero
            and all(height >= ratio * (spread if spread > zero else 0.0) for spread in spreads)
        )
        split[node] = separates or split[a] or split[b]
        size[node] = size[a] + size[b]
        # average linkage: the height is the mean over the size[a]·size[b] pairs across
        pair_sum[node] = pair_sum[a] + pair_sum[b] + size[a] * size[b] * height
    labels = np.empty(n_layers, dtype=np.int64)
    group, stack = 0, [n_nodes - 1]
    while stack:
        node = stack.pop()
        if node >= n_layers and split[node]:
            stack.extend(children[node - n_layers])
            continue
        labels[_leaves(children, node, n_layers)] = group
        group += 1
    return _relabel_by_depth(labels)


def _leaves(children: np.ndarray, node: int, n_layers: int) -> list[int]:
    """The layers below ``node`` of a linkage tree (``node`` < L is a layer itself)."""
    out, stack = [], [node]
    while stack:
        current = stack.pop()
        if current < n_layers:
            out.append(current)
        else:
            stack.extend(children[current - n_layers])
    return out


def cluster_layers(
    dist: torch.Tensor | np.ndarray,
    k: int | None,
    rule: GroupRule,
    separation_ratio: float,
) -> np.ndarray:
    """Average-linkage groups: (L,) labels 0..k−1 numbered in order of first appearance along depth.

    Args:
        k: number of groups (the tree cut at one height into k); None picks them by ``rule``:
            ``separation`` (``separated_groups`` with ``separation_ratio``) or ``largest_gap``
            (the cut at the largest jump of the merge heights, ``largest_gap_k``).

    Raises:
        ValueError: ``k`` outside 1..L, an unknown ``rule``, a bad ratio or matrix.
    """
    if rule not in GROUP_RULES:
        raise ValueError(f"rule={rule!r} is not supported; allowed: {list(GROUP_RULES)}")
    d = _as_square(dist)
    n_layers = d.shape[0]
    if k is not None and not 1 <= k <= n_layers:
        raise ValueError(f"k must be between 1 and the number of layers {n_layers}; got {k}")
    if n_layers == 1:
        return np.zeros(1, dtype=np.int64)
    merges = average_linkage(d)
    if k is None and rule == "separation":
        return separated_groups(merges, separation_ratio)
    k = largest_gap_k(merges) if k is None else k
    return cut_at_height(merges, k)


def cut_at_height(merges: np.ndarray, k: int) -> np.ndarray:
    """(L,) labels of the k groups left by cutting the linkage tree at one height (its k − 1
    highest merges undone), numbered in order of first appearance along depth."""
    return _relabel_by_depth(fcluster(merges, t=k, criterion="maxclust"))


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
