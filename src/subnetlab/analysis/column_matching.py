"""MMCS and ML2R: how well rank-one subcomponents reproduce the target's feature columns
(SPD, arXiv:2506.20790, §3; APD, arXiv:2501.14926, for the shrinkage ML2R measures)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

_NORM_FLOOR = 1e-12  # norms at or below it count as zero


def subcomponent_columns(V: torch.Tensor, U: torch.Tensor) -> torch.Tensor:
    """Per-feature columns of each subcomponent: (C, d_in, d_out), entry [c, j] = V[j, c]·U[c]."""
    return V.T.unsqueeze(-1) * U.unsqueeze(1)


@dataclass(frozen=True)
class ColumnMatch:
    """Per target column j (feature j): ``subcomponent[j]`` the matched subcomponent,
    ``cosine[j]`` its column's cosine with the target column, ``norm_ratio[j]`` its column's norm
    over the target column's. All (d_in,)."""

    subcomponent: torch.Tensor
    cosine: torch.Tensor
    norm_ratio: torch.Tensor


def mmcs_ml2r(
    target_weight: torch.Tensor, V: torch.Tensor, U: torch.Tensor, min_norm_fraction: float = 0.1
) -> tuple[float, float]:
    """Mean max cosine similarity and mean L2 ratio of the matched subcomponent columns (the
    means of ``match_columns``; same arguments and errors)."""
    match = match_columns(target_weight, V, U, min_norm_fraction)
    return float(match.cosine.mean()), float(match.norm_ratio.mean())


def match_columns(
    target_weight: torch.Tensor, V: torch.Tensor, U: torch.Tensor, min_norm_fraction: float = 0.1
) -> ColumnMatch:
    """The subcomponent matched to each target column, with its cosine and norm ratio.

    ``target_weight`` is (d_out, d_in); column j is feature j's direction. For each column the
    match is the subcomponent of highest cosine among those whose column has at least
    ``min_norm_fraction`` of the target column's norm, so a negligible leftover pointing the same
    way cannot win (if none qualifies, all subcomponents are candidates).

    Shapes: ``V`` (d_in, C), ``U`` (C, d_out).

    Raises:
        ValueError: mismatched shapes, NaN/inf entries, ``min_norm_fraction`` outside [0, 1], or
            a target column of zero norm (a dead feature: its cosine and L2 ratio are undefined,
            and the ratio would silently be huge).
    """
    if target_weight.dim() != 2 or V.dim() != 2 or U.dim() != 2:
        raise ValueError("target_weight, V and U must be matrices")
    d_out, d_in = target_weight.shape
    if V.shape[0] != d_in or U.shape != (V.shape[1], d_out):
        raise ValueError(
            f"need V (d_in, C) and U (C, d_out) for a (d_out, d_in) = {(d_out, d_in)} target; "
            f"got V {tuple(V.shape)} and U {tuple(U.shape)}"
        )
    if not all(bool(torch.isfinite(t).all()) for t in (target_weight, V, U)):
        raise ValueError("target_weight, V or U contains NaN or infinite entries")
    if not 0.0 <= min_norm_fraction <= 1.0:
        raise ValueError(f"min_norm_fraction must be in [0, 1]; got {min_norm_fraction}")
    cols = subcomponent_columns(V, U).detach()  # (C, d_in, d_out)
    target_cols = target_weight.detach().T  # (d_in, d_out)
    target_norms = target_cols.norm(dim=-1)  # (d_in,)
    dead = torch.nonzero(target_norms <= _NORM_FLOOR).flatten().tolist()
    if dead:
        raise ValueError(
            f"target columns {dead} have zero norm (dead features): MMCS and ML2R are undefined"
        )
    col_norms = cols.norm(dim=-1)  # (C, d_in)
    cos = (cols * target_cols).sum(-1) / (col_norms * target_norms).clamp_min(_NORM_FLOOR)
    eligible = col_norms >= min_norm_fraction * target_norms
    eligible = torch.where(eligible.any(0, keepdim=True), eligible, torch.ones_like(eligible))
    masked_cos = torch.where(eligible, cos, torch.full_like(cos, -2.0))
    best_cos, best = masked_cos.max(0)
    ratios = col_norms.gather(0, best.unsqueeze(0)).squeeze(0) / target_norms
    return ColumnMatch(subcomponent=best, cosine=best_cos, norm_ratio=ratios)
