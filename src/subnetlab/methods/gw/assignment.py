"""Linear assignment: the exact linear-minimisation step of the batched GW solver.

With uniform marginals on two sets of equal size the transport polytope's vertices are the
permutations divided by N (Birkhoff), so the exact OT step of conditional gradient is an
assignment problem. We solve it with SciPy's shortest-augmenting-path solver (Crouse 2016,
doi:10.1109/TAES.2016.140952), which starts from zero dual prices: its augmenting paths are short
when the cost's optimal duals are near zero, as the GW solver arranges by adding column offsets
(``solver_batched.py``). So the cost is reduced by rows before columns here: reducing the columns
first would replace those offsets by column minima and made SciPy 2-10× slower on GW costs.
Neither reduction changes the optimal permutations, which pick each row and column exactly once.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment


def min_cost_assignments(cost: torch.Tensor) -> torch.Tensor:
    """Permutations minimising ``sum_i cost[b, i, perm[b, i]]`` for every batch entry.

    Args:
        cost: (B, N, N) finite real tensor on any device; solved in float64 on the CPU.

    Returns:
        perm: (B, N) long on ``cost.device``; row ``i`` is matched to column ``perm[b, i]``.

    Raises:
        ValueError: ``cost`` not (B, N, N), or with a NaN or infinite entry.
    """
    if cost.dim() != 3 or cost.shape[1] != cost.shape[2]:
        raise ValueError(f"cost must have shape (B, N, N); got {tuple(cost.shape)}")
    reduced = cost.to(torch.float64)
    # NaN comparisons are all false: silent garbage. One pass without an (N, N) mask: a NaN or
    # an infinity makes the float64 sum non-finite
    if not bool(torch.isfinite(reduced.sum())):
        raise ValueError("cost contains NaN or infinite entries (or overflows float64 when summed)")
    reduced = reduced - reduced.amin(dim=2, keepdim=True)
    reduced -= reduced.amin(dim=1, keepdim=True)
    reduced_np = reduced.cpu().numpy()
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
