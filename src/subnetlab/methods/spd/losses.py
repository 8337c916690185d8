"""SPD loss terms as plain functions (paper-branch definitions, reference §1.4)."""

from __future__ import annotations

import torch


def faithfulness_loss(
    target_weights: dict[str, torch.Tensor], component_weights: dict[str, torch.Tensor]
) -> torch.Tensor:
    """Σ_l ‖W^l − Σ_c U^l_c V^l_c‖_F² divided by the number of entries of all decomposed matrices."""
    total = sum((target_weights[n] - component_weights[n]).pow(2).sum() for n in target_weights)
    n_entries = sum(w.numel() for w in target_weights.values())
    return total / n_entries


def reconstruction_mse(output: torch.Tensor, target_output: torch.Tensor) -> torch.Tensor:
    """MSE averaged over batch and output dimensions (over every leading dim too)."""
    return (output - target_output).pow(2).mean()


def importance_minimality_loss(ci_upper: dict[str, torch.Tensor], pnorm: float) -> torch.Tensor:
    """Σ_l Σ_c (upper-leaky CI)^p, summed over layers and subcomponents, mean over the batch."""
    per_sample = sum(ci.pow(pnorm).sum(-1) for ci in ci_upper.values())
    return per_sample.mean()


def stochastic_masks(
    ci_lower: dict[str, torch.Tensor], generator: torch.Generator
) -> dict[str, torch.Tensor]:
    """m = g + (1 − g)·r with r ~ U(0, 1) per datapoint, layer and subcomponent."""
    masks = {}
    for name, g in ci_lower.items():
        r = torch.rand(g.shape, generator=generator, dtype=g.dtype, device="cpu").to(g.device)
        masks[name] = g + (1.0 - g) * r
    return masks
