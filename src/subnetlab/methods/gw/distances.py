"""Intra-layer distance matrices C_l (N×N) between the probe inputs' representations."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import torch

from subnetlab.utils.atomic_files import save_torch_atomic
from subnetlab.utils.checkpoint_files import CheckpointFileError, read_checkpoint

log = logging.getLogger(__name__)

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


#: relative asymmetry tolerated in a distance matrix (rounding of a symmetric computation)
SYMMETRY_RTOL = 1e-9


def check_distance_matrices(distances: torch.Tensor) -> None:
    """Check (L, N, N) intra-layer distance matrices before a GW solver uses them: the square-loss
    GW maths (and POT's ``symmetric=True``) assumes finite, symmetric matrices.

    Raises:
        ValueError: wrong shape (L ≥ 1, N ≥ 2), a NaN/inf entry, or a matrix that is not
            symmetric (max |C − Cᵀ| above 1e-9 of its largest entry).
    """
    if distances.dim() != 3 or distances.shape[1] != distances.shape[2] or distances.shape[1] < 2:
        raise ValueError(
            f"distance matrices must have shape (L, N, N) with N >= 2; got {tuple(distances.shape)}"
        )
    finite = torch.isfinite(distances).flatten(1).all(dim=1)
    if not bool(finite.all()):
        bad = torch.nonzero(~finite).flatten().tolist()
        raise ValueError(f"distance matrices {bad} contain NaN or infinite entries")
    scale = distances.abs().amax(dim=(1, 2)).clamp_min(1.0)
    asymmetry = (distances - distances.transpose(1, 2)).abs().amax(dim=(1, 2)) / scale
    if bool((asymmetry > SYMMETRY_RTOL).any()):
        worst = int(asymmetry.argmax())
        raise ValueError(
            f"distance matrix {worst} is not symmetric (max |C − Cᵀ| = "
            f"{float(asymmetry[worst] * scale[worst]):.3g}); GW here assumes symmetric distances"
        )


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
        cached = _read_cache(Path(cache_path), key, len(mats))
        if cached is not None:
            return cached
    stacked = torch.stack(
        [normalize_distances(pairwise_distances(m, metric), normalize) for m in mats]
    )
    if cache_path is not None:
        Path(cache_path).parent.mkdir(parents=True, exist_ok=True)
        save_torch_atomic(cache_path, {"key": key, "distances": stacked})
    return stacked


def _read_cache(path: Path, key: dict, n_layers: int) -> torch.Tensor | None:
    """The cached (L, N, N) distances when ``path`` holds finite ones made for ``key``; None
    (recompute and overwrite) when it was made for other inputs or is unreadable."""
    try:
        stored = read_checkpoint(path)
    except CheckpointFileError as err:
        log.warning("distance cache ignored and rewritten: %s", err)
        return None
    if not isinstance(stored, dict) or stored.get("key") != key:
        return None
    distances = stored.get("distances")
    n = key["n"]
    if (
        not isinstance(distances, torch.Tensor)
        or distances.shape != (n_layers, n, n)
        or not bool(torch.isfinite(distances).all())
    ):
        log.warning("distance cache ignored and rewritten: %s holds no finite (L, N, N)", path)
        return None
    return distances
