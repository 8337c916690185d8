"""Target-solution error: how far a causal-importance matrix is from the expected pattern
(SPD, arXiv:2506.20790, §3: identity or dense-k, counted at a tolerance)."""

from __future__ import annotations

import torch
from scipy.optimize import linear_sum_assignment


def _check_ci(ci: torch.Tensor, tolerance: float) -> None:
    """A NaN entry compares false with every threshold, so it would count as no error: a NaN
    causal importance would read as a perfect solution."""
    if ci.dim() != 2:
        raise ValueError(f"ci must be (n_features, C); got shape {tuple(ci.shape)}")
    if not bool(torch.isfinite(ci).all()):
        raise ValueError("ci contains NaN or infinite entries")
    if not 0.0 <= tolerance < 0.5:
        raise ValueError(f"tolerance must be in [0, 0.5); got {tolerance}")


def permute_to_identity(ci: torch.Tensor) -> torch.Tensor:
    """Columns permuted (Hungarian matching on the rows) so the matrix is closest to identity."""
    if ci.dim() != 2 or not bool(torch.isfinite(ci).all()):
        raise ValueError(f"ci must be a finite (n_features, C) matrix; got {tuple(ci.shape)}")
    rows = min(ci.shape)
    _, cols = linear_sum_assignment(-ci[:rows].detach().cpu().numpy())
    rest = sorted(set(range(ci.shape[1])) - set(cols.tolist()))
    return ci[:, list(cols) + rest]


def identity_pattern_error(ci: torch.Tensor, tolerance: float = 0.1) -> int:
    """Off-diagonal entries above ``tolerance`` plus diagonal entries below 1 − tolerance, after
    the best column permutation. ``ci`` is (n_features, C) on one-hot inputs.

    Raises:
        ValueError: ``ci`` not a finite matrix with C ≥ n_features, or ``tolerance`` outside
            [0, 0.5).
    """
    _check_ci(ci, tolerance)
    n, c = ci.shape
    if c < n:
        raise ValueError(f"identity pattern needs at least {n} subcomponents, got {c}")
    permuted = permute_to_identity(ci)
    size = min(permuted.shape)
    off = torch.ones_like(permuted, dtype=torch.bool)
    off[:size, :size].fill_diagonal_(False)
    off_errors = int((permuted[off] > tolerance).sum())
    diag_errors = int((torch.diagonal(permuted[:size, :size]) < 1 - tolerance).sum())
    return off_errors + diag_errors


def dense_pattern_error(ci: torch.Tensor, k: int, tolerance: float = 0.1) -> int:
    """Exactly ``k`` subcomponents should be used: after sorting columns by total mass, each of the
    first k needs a strong entry (≥ 1 − tolerance), and every entry of the rest must be
    ≤ tolerance.

    Raises:
        ValueError: ``ci`` not a finite matrix with at least k ≥ 1 columns, or ``tolerance``
            outside [0, 0.5).
    """
    _check_ci(ci, tolerance)
    if k < 1:
        raise ValueError(f"dense pattern needs k >= 1 subcomponents; got {k}")
    if ci.shape[1] < k:
        raise ValueError(f"dense pattern needs at least {k} subcomponents, got {ci.shape[1]}")
    ordered = ci[:, torch.argsort(ci.sum(0), descending=True)]
    missing_strong = ((ordered[:, :k] >= 1 - tolerance).sum(0) < 1).sum()
    stray = (ordered[:, k:] > tolerance).sum()
    return int(missing_strong + stray)


def pattern_error(ci: torch.Tensor, pattern: tuple[str, int], tolerance: float = 0.1) -> int:
    kind, size = pattern
    match kind:
        case "identity":
            return identity_pattern_error(ci, tolerance)
        case "dense":
            return dense_pattern_error(ci, size, tolerance)
    raise ValueError(f"unknown CI pattern {kind!r}; allowed: identity, dense")
