"""SPD loss terms as plain functions (SPD, arXiv:2506.20790, §2 Method: the loss terms)."""

from __future__ import annotations

import math

import torch

#: shift inside the power of the importance-minimality term for p < 1 (``lp_importance``)
PNORM_EPS = 1e-12


def lp_importance(ci: torch.Tensor, pnorm: float) -> torch.Tensor:
    """Elementwise CI^p for the importance-minimality term, with a finite gradient everywhere.

    For p ≥ 1 this is plain ``ci.pow(p)``: its gradient p·x^(p−1) is finite at x = 0. For p < 1
    that gradient is infinite at CI = 0 (rows whose gates are all shut, e.g. all-zero inputs), and
    times the hard sigmoid's zero slope it is a NaN that ends training at step 1. So, as the
    public SPD implementation that followed the paper (Bushnaq, Braun, Sharkey 2025,
    arXiv:2506.20790; it anneals p down to 0.3–0.5) does, the power is taken of (CI + ε) with
    ε = 1e-12. The gradient at CI = 0 is then p·ε^(p−1) (≈ 7.5e7 at p = 0.3), and the value gains
    ε^p per entry at CI = 0 (≈ 2.5e-4 at p = 0.3, 1.6e-11 at p = 0.9) and nothing measurable
    elsewhere. Half precision is raised to float32 first, where ε is representable.
    """
    if pnorm >= 1.0:
        return ci.pow(pnorm)
    shifted = ci.to(torch.promote_types(ci.dtype, torch.float32)) + PNORM_EPS
    return shifted.pow(pnorm)


def importance_minimality_loss(
    ci_upper: dict[str, torch.Tensor],
    pnorm: float,
    row_weights: torch.Tensor | None = None,
    lean: bool = False,
) -> torch.Tensor:
    """Σ_l Σ_c (upper-leaky CI)^p, summed over layers and subcomponents, mean over the batch
    (``lp_importance`` for the power: finite gradients also for p < 1 at CI = 0).

    ``ci_upper[l]`` is (batch, C_l) and ≥ 0; ``row_weights`` (batch,) summing to 1 replaces the
    plain mean over the batch. ``lean`` (the fast path): the same value in fewer operations, at
    p = 1 the CI itself instead of its power and the weighted sum over rows as one product.

    Raises:
        ValueError: ``pnorm`` is not a finite number > 0.
    """
    if not (math.isfinite(pnorm) and pnorm > 0):
        raise ValueError(f"pnorm={pnorm} is not allowed; allowed: a finite number > 0")
    per_sample = sum(
        (ci if lean and pnorm == 1.0 else lp_importance(ci, pnorm)).sum(-1)
        for ci in ci_upper.values()
    )
    assert isinstance(per_sample, torch.Tensor)
    if row_weights is None:
        return per_sample.mean()
    if lean and per_sample.dim() == 1:
        return per_sample @ row_weights
    return (per_sample * row_weights).sum()
