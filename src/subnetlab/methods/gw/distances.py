"""Intra-layer distance matrices C_l (N×N) between the probe inputs' representations."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import torch

Metric = Literal["euclidean", "sqeuclidean", "cosine"]
Normalize = Literal["max", "mean", "none"]


def pairwise_distances(x: torch.Tensor, metric: Metric = "euclidean") -> torch.Tensor:
    """Symmetric (N, N) distances with an exact zero diagonal.

    Args:
        x: (N, d) representations; computed in float64.
        metric: 'euclidean', 'sqeuclidean' or 'cosine' (1 − cosine similarity).
    """
    if x.dim() != 2 or x.shape[0] < 2:
        raise ValueError(f"x must have shape (N, d) with N >= 2; got {tuple(x.shape)}")
    if not torch.isfinite(x).all():
        raise ValueError("representations contain NaN or infinite entries")
    x = x.double()
    if metric in ("euclidean", "sqeuclidean"):
        # centring first keeps the Gram-matrix formula accurate under large translations
        centred = x - x.mean(dim=0, keepdim=True)
        sq_norms = centred.pow(2).sum(dim=1)
        dist = (sq_norms[:, None] + sq_norms[None, :] - 2.0 * centred @ centred.T).clamp_min(0.0)
        if metric == "euclidean":
            dist = dist.sqrt()
    elif metric == "cosine":
        norms = x.norm(dim=1)
        if bool((norms == 0).any()):
            raise ValueError("cosine distance is undefined for all-zero representations")
        unit = x / norms[:, None]
        dist = (1.0 - unit @ unit.T).clamp_min(0.0)
    else:
        raise ValueError(
            f"metric={metric!r} is not supported; allowed: 'euclidean', 'sqeuclidean', 'cosine'"
        )
    dist = 0.5 * (dist + dist.T)
    dist.fill_diagonal_(0.0)
    return dist


def normalize_distances(dist: torch.Tensor, how: Normalize = "max") -> torch.Tensor:
    """Divide by the largest entry ('max') or the off-diagonal mean ('mean'); 'none' keeps it."""
    if how == "none":
        return dist
    if how not in ("max", "mean"):
        raise ValueError(f"normalize={how!r} is not supported; allowed: 'max', 'mean', 'none'")
    n = dist.shape[0]
    scale = dist.max() if how == "max" else dist.sum() / (n * (n - 1))
    if float(scale) <= 0.0:
        raise ValueError("all representations coincide, so the distances cannot be normalised")
    return dist / scale


def layer_distances(
    representations: dict[str, torch.Tensor] | list[torch.Tensor],
    metric: Metric = "euclidean",
    normalize: Normalize = "max",
    cache_path: str | Path | None = None,
) -> torch.Tensor:
    """Stacked normalised distance matrices of every layer, computed once.

    Args:
        representations: layer -> (N, d_l), all with the same N (in depth order).
        cache_path: optional ``.pt`` file; loaded when it exists and was made from the same
            layer names, metric, normalisation, N and data fingerprint, written otherwise.

    Returns:
        (L, N, N) float64.
    """
    if isinstance(representations, dict):
        names, mats = list(representations), list(representations.values())
    else:
        names, mats = [str(i) for i in range(len(representations))], list(representations)
    if not mats:
        raise ValueError("need at least one layer's representations")
    sizes = {m.shape[0] for m in mats}
    if len(sizes) != 1:
        raise ValueError(f"every layer must see the same N probe inputs; got sizes {sorted(sizes)}")
    fingerprint = [[float(m.double().sum()), float(m.double().abs().sum())] for m in mats]
    key = {
        "names": names,
        "metric": metric,
        "normalize": normalize,
        "n": sizes.pop(),
        "fingerprint": fingerprint,
    }
    if cache_path is not None and Path(cache_path).exists():
        stored = torch.load(cache_path, weights_only=True)
        if stored["key"] == key:
            return stored["distances"]
    stacked = torch.stack(
        [normalize_distances(pairwise_distances(m, metric), normalize) for m in mats]
    )
    if cache_path is not None:
        Path(cache_path).parent.mkdir(parents=True, exist_ok=True)
        torch.save({"key": key, "distances": stacked}, cache_path)
    return stacked
