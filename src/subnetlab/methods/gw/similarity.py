"""Baselines on the same activations: linear CKA, debiased linear CKA, orthogonal Procrustes.

Unlike GW these use the known pairing of the probe inputs across layers.
"""

from __future__ import annotations

import torch


def _check_pair(x: torch.Tensor, y: torch.Tensor, min_n: int) -> tuple[torch.Tensor, torch.Tensor]:
    if x.dim() != 2 or y.dim() != 2 or x.shape[0] != y.shape[0]:
        raise ValueError(
            f"need (N, d1) and (N, d2) representations of the same inputs; got {tuple(x.shape)} "
            f"and {tuple(y.shape)}"
        )
    if x.shape[0] < min_n:
        raise ValueError(f"need at least {min_n} inputs; got {x.shape[0]}")
    if not (bool(torch.isfinite(x).all()) and bool(torch.isfinite(y).all())):
        raise ValueError("representations contain NaN or infinite entries")
    return x.double(), y.double()


def _centre(x: torch.Tensor) -> torch.Tensor:
    return x - x.mean(dim=0, keepdim=True)


def linear_cka(x: torch.Tensor, y: torch.Tensor) -> float:
    """Linear CKA (Kornblith et al. 2019): ‖YᵀX‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F) on centred X (N, d1),
    Y (N, d2). 1 for identical representations up to rotation, translation and isotropic scale."""
    x, y = _check_pair(x, y, 2)
    x, y = _centre(x), _centre(y)
    cross = torch.linalg.matrix_norm(y.T @ x) ** 2
    norm = torch.linalg.matrix_norm(x.T @ x) * torch.linalg.matrix_norm(y.T @ y)
    if float(norm) == 0.0:
        raise ValueError("CKA is undefined for a constant representation")
    return float(cross / norm)


def _unbiased_hsic(k: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """Song et al. (2012) unbiased HSIC estimator of two Gram matrices (N, N), N >= 4."""
    n = k.shape[0]
    k = k.clone().fill_diagonal_(0.0)
    g = g.clone().fill_diagonal_(0.0)
    trace_term = (k * g).sum()
    sum_term = k.sum() * g.sum() / ((n - 1) * (n - 2))
    cross_term = 2.0 * (k.sum(dim=0) @ g.sum(dim=1)) / (n - 2)
    return (trace_term + sum_term - cross_term) / (n * (n - 3))


def debiased_cka(x: torch.Tensor, y: torch.Tensor) -> float:
    """Linear CKA from unbiased HSIC estimates; near 0 for independent random features even
    when the width is large compared with N (where the biased estimate is inflated)."""
    x, y = _check_pair(x, y, 4)
    gram_x, gram_y = x @ x.T, y @ y.T
    denom = _unbiased_hsic(gram_x, gram_x) * _unbiased_hsic(gram_y, gram_y)
    if float(denom) <= 0.0:
        raise ValueError("debiased CKA is undefined: a self-HSIC estimate is not positive")
    return float(_unbiased_hsic(gram_x, gram_y) / denom.sqrt())


def procrustes_distance(x: torch.Tensor, y: torch.Tensor) -> float:
    """Orthogonal Procrustes distance between centred, unit-Frobenius X and Y:
    min_Q ‖X − Y Q‖_F over (partial) orthogonal Q = sqrt(2 − 2 ‖XᵀY‖_*), in [0, 2]."""
    x, y = _check_pair(x, y, 2)
    x, y = _centre(x), _centre(y)
    nx, ny = torch.linalg.matrix_norm(x), torch.linalg.matrix_norm(y)
    if float(nx) == 0.0 or float(ny) == 0.0:
        raise ValueError("Procrustes distance is undefined for a constant representation")
    nuclear = torch.linalg.matrix_norm((x / nx).T @ (y / ny), ord="nuc")
    return float((2.0 - 2.0 * nuclear).clamp_min(0.0).sqrt())
