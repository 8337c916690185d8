"""SPD loss terms as plain functions (paper-branch definitions, reference §1.4)."""

from __future__ import annotations

import torch


def importance_minimality_loss(
    ci_upper: dict[str, torch.Tensor], pnorm: float, row_weights: torch.Tensor | None = None
) -> torch.Tensor:
    """Σ_l Σ_c (upper-leaky CI)^p, summed over layers and subcomponents, mean over the batch."""
    per_sample = sum(ci.pow(pnorm).sum(-1) for ci in ci_upper.values())
    assert isinstance(per_sample, torch.Tensor)
    if row_weights is None:
        return per_sample.mean()
    return (per_sample * row_weights).sum()


def draw_uniform(
    shapes: dict[str, tuple[int, ...]], generator: torch.Generator
) -> dict[str, torch.Tensor]:
    """r ~ U(0, 1) per datapoint, layer and subcomponent (CPU generator, so runs are
    reproducible on any device)."""
    return {name: torch.rand(shape, generator=generator) for name, shape in shapes.items()}


def stochastic_masks(
    ci_lower: dict[str, torch.Tensor], uniform: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """m = g + (1 − g)·r (reparametrised, so gradients reach the CI function)."""
    return {
        name: g + (1.0 - g) * uniform[name].to(device=g.device, dtype=g.dtype)
        for name, g in ci_lower.items()
    }
