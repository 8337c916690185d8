"""How APD results are put on SPD's scale (mmcs/ml2r, L0, target-solution error)."""

from __future__ import annotations

import torch

from subnetlab.analysis.ci_patterns import identity_pattern_error
from subnetlab.analysis.column_matching import mmcs_ml2r


def attribution_shares(attributions: torch.Tensor) -> torch.Tensor:
    """A_c(x) / Σ_c' A_c'(x) per datapoint (batch, C); rows without any attribution are 0.

    The APD analogue of causal importance: a datapoint explained by one component gives it
    share 1 and the others 0.
    """
    total = attributions.sum(-1, keepdim=True)
    return torch.where(total > 0, attributions / total.clamp_min(1e-30), 0.0)


def columns_mmcs_ml2r(target_weight: torch.Tensor, matrices: torch.Tensor) -> tuple[float, float]:
    """MMCS and ML2R of full-matrix components (C, d_out, d_in) against the target's columns.

    Each component's column j is written as a pseudo rank-one subcomponent that only reads
    feature j (V = e_j, U = that column), so SPD's matcher applies unchanged: the other features'
    pseudo-subcomponents have a zero column j and can never be matched to it.
    """
    C, d_out, d_in = matrices.shape
    V = torch.eye(d_in).repeat(1, C)  # (d_in, C·d_in): pseudo-subcomponent (c, j) reads j
    U = matrices.permute(0, 2, 1).reshape(C * d_in, d_out)  # row (c, j) = column j of P_c
    return mmcs_ml2r(target_weight, V, U)


def probe_identity_error(shares: torch.Tensor, tolerance: float) -> int:
    """Identity-pattern error of the attribution shares on one-hot probes (n_features, C).

    With fewer components than features the missing columns count as zero (each one a missing
    diagonal entry), so the error stays defined and positive.
    """
    n, C = shares.shape
    if C < n:
        shares = torch.cat([shares, shares.new_zeros(n, n - C)], dim=1)
    return identity_pattern_error(shares, tolerance)


def module_l0(mask: torch.Tensor, present: torch.Tensor) -> float:
    """Mean number of active components per datapoint among those ``present`` (C,) in a module."""
    return float((mask & present).float().sum(-1).mean())


def share_l0(shares: torch.Tensor, threshold: float) -> float:
    """Mean number of components per datapoint whose attribution share exceeds ``threshold``."""
    return float((shares > threshold).float().sum(-1).mean())
