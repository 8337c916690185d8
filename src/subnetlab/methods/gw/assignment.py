"""Linear assignment: the exact linear-minimisation step of the batched GW solver.

With uniform marginals on two sets of equal size the transport polytope's vertices are the
permutations divided by N (Birkhoff), so the exact OT step of conditional gradient is an
assignment problem. We solve it with SciPy's shortest-augmenting-path solver after a row and
column reduction: GW costs have strong column structure (every row prefers the same few peripheral
columns), which makes the unreduced problem several times slower. Before that, a candidate
permutation (the current vertex, e.g. the identity for layers sharing their inputs) is certified
optimal with a batched Bellman-Ford check when it can be, which skips the solver entirely.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

_CERTIFY_CHUNK = 8  # pairs per Bellman-Ford batch; bounds the (chunk, N, N) scratch


def min_cost_assignments(
    cost: torch.Tensor, candidate: torch.Tensor | None = None, max_sweeps: int = 30
) -> torch.Tensor:
    """Permutations minimising ``sum_i cost[b, i, perm[b, i]]`` for every batch entry.

    Args:
        cost: (B, N, N) finite real tensor on any device.
        candidate: (B, N) long permutations to try first; kept where certified optimal.
        max_sweeps: Bellman-Ford sweeps spent on a certificate before solving from scratch.

    Returns:
        perm: (B, N) long on ``cost.device``; row ``i`` is matched to column ``perm[b, i]``.
    """
    if cost.dim() != 3 or cost.shape[1] != cost.shape[2]:
        raise ValueError(f"cost must have shape (B, N, N); got {tuple(cost.shape)}")
    if not bool(torch.isfinite(cost).all()):  # NaN comparisons are all false: silent garbage
        raise ValueError("cost contains NaN or infinite entries")
    if candidate is None:
        return _solve(cost)
    perm = candidate.clone()
    open_ = ~certify_optimal(cost, candidate, max_sweeps)
    if bool(open_.any()):
        perm[open_] = _solve(cost[open_])
    return perm


def certify_optimal(cost: torch.Tensor, perm: torch.Tensor, max_sweeps: int = 30) -> torch.Tensor:
    """Whether each permutation is an optimal assignment, shown by dual prices found in time.

    ``perm`` is optimal iff prices v on the columns exist with
    ``cost[i, perm[i]] − v[perm[i]] <= cost[i, j] − v[j]`` for all i, j, i.e. iff the graph with
    edges perm[i] -> j of weight ``cost[i, j] − cost[i, perm[i]]`` has no negative cycle.
    Bellman-Ford from zero prices settles in as many sweeps as the longest shortest path has
    edges; a pair not
    settled within ``max_sweeps`` is reported uncertified (it may still be optimal). After the
    first sweep only rows whose owned column got cheaper are relaxed again.

    Args:
        cost: (B, N, N); perm: (B, N) long.

    Returns:
        (B,) bool.
    """
    n_batch, n, _ = cost.shape
    device = cost.device
    certified = torch.zeros(n_batch, dtype=torch.bool, device=device)
    for start in range(0, n_batch, _CERTIFY_CHUNK):
        c = cost[start : start + _CERTIFY_CHUNK].double()
        p = perm[start : start + _CERTIFY_CHUNK]
        m = c.shape[0]
        slack = c - c.gather(2, p.unsqueeze(2))  # weight of edge perm[i] -> j
        tol = 1e-12 * (c.amax(dim=(1, 2)) - c.amin(dim=(1, 2))).clamp_min(1e-300)
        prices = slack.amin(dim=1).clamp_max(0.0)  # first sweep from zero prices
        owner = torch.empty_like(p)
        owner.scatter_(1, p, torch.arange(n, device=device).expand(m, n))
        changed = prices < -tol[:, None]  # columns whose price dropped
        for _ in range(max_sweeps - 1):
            b_idx, col_idx = changed.nonzero(as_tuple=True)
            if b_idx.numel() == 0:
                break
            rows = owner[b_idx, col_idx]
            reach = prices[b_idx, col_idx].unsqueeze(1) + slack[b_idx, rows]
            target = (b_idx.unsqueeze(1) * n + torch.arange(n, device=device)).reshape(-1)
            best = prices.clone()
            best.view(-1).scatter_reduce_(0, target, reach.reshape(-1), reduce="amin")
            changed = best < prices - tol[:, None]
            prices = best
        certified[start : start + m] = ~changed.any(dim=1)
    return certified


def _solve(cost: torch.Tensor) -> torch.Tensor:
    reduced = cost - cost.amin(dim=1, keepdim=True)
    reduced = reduced - reduced.amin(dim=2, keepdim=True)
    reduced_np = reduced.detach().to("cpu", torch.float64).numpy()
    if not np.isfinite(reduced_np).all():
        raise ValueError("cost contains NaN or infinite entries")
    perms = np.empty(reduced_np.shape[:2], dtype=np.int64)
    for b, matrix in enumerate(reduced_np):
        _, perms[b] = linear_sum_assignment(matrix)
    return torch.from_numpy(perms).to(cost.device)


def rank_one_max_assignment(row: torch.Tensor, col: torch.Tensor) -> torch.Tensor:
    """Permutations maximising ``sum_i row[b, i] * col[b, perm[b, i]]`` (rearrangement inequality).

    Args:
        row, col: (B, N) real tensors.

    Returns:
        perm: (B, N) long; the k-th smallest ``row`` entry gets the k-th smallest ``col`` entry.
    """
    if row.shape != col.shape or row.dim() != 2:
        raise ValueError(
            f"row and col must both be (B, N); got {tuple(row.shape)}, {tuple(col.shape)}"
        )
    row_order = row.argsort(dim=1, stable=True)
    col_order = col.argsort(dim=1, stable=True)
    perm = torch.empty_like(row_order)
    perm.scatter_(1, row_order, col_order)
    return perm
