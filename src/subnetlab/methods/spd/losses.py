"""SPD loss terms as plain functions (SPD, arXiv:2506.20790, §2 Method: the loss terms)."""

from __future__ import annotations

import math
from typing import Any

import torch

from subnetlab.methods.spd.fused_gates import JointCI

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


def draw_uniform(
    shapes: dict[str, tuple[int, ...]],
    generator: torch.Generator,
    device: torch.device | str = "cpu",
) -> dict[str, torch.Tensor]:
    """r ~ U(0, 1) per datapoint, layer and subcomponent, on ``device``. Drawn from a CPU
    generator (so a run draws the same numbers on any device) and moved there once."""
    return {
        name: torch.rand(shape, generator=generator).to(device) for name, shape in shapes.items()
    }


def draw_uniform_at_once(
    shapes: dict[Any, tuple[int, ...]],
    generator: torch.Generator,
    device: torch.device | str = "cpu",
) -> dict[Any, torch.Tensor]:
    """The numbers of ``draw_uniform`` (the generator's stream, tensor after tensor in the
    order of ``shapes``) in one draw and one move to ``device``: views of one tensor."""
    sizes = [math.prod(shape) for shape in shapes.values()]
    flat = torch.rand(sum(sizes), generator=generator).to(device)
    return {
        key: piece.view(shape)
        for (key, shape), piece in zip(shapes.items(), flat.split(sizes), strict=True)
    }


def stochastic_masks(
    ci_lower: dict[str, torch.Tensor], uniform: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """m = g + (1 − g)·r (reparametrised, so gradients reach the CI function)."""
    return {
        name: g + (1.0 - g) * uniform[name].to(device=g.device, dtype=g.dtype)
        for name, g in ci_lower.items()
    }


class _JointMaskPairs(torch.autograd.Function):
    """Inputs: the joint lower-leaky CI g (rows, Σ C), the column sizes, then per matrix its
    sources r (2, rows, C_i). Outputs per matrix the masks g + (1 − g)·r as r + g·(1 − r),
    (2, rows, C_i); the gradient reaching g is Σ_pair ∂L/∂m · (1 − r), written into g's
    columns. A handful of small operations instead of autograd's generic broadcast and
    reduction over the joint (2, rows, Σ C) block."""

    @staticmethod
    def forward(
        ctx: Any, lower: torch.Tensor, sizes: list[int], *sources: torch.Tensor
    ) -> tuple[torch.Tensor, ...]:
        complements = [torch.rsub(r.to(lower.dtype), 1.0) for r in sources]
        masks = [
            torch.addcmul(r.to(lower.dtype), g, complement)
            for r, g, complement in zip(sources, lower.split(sizes, -1), complements, strict=True)
        ]
        ctx.save_for_backward(*complements)
        ctx.sizes = sizes
        return tuple(masks)

    @staticmethod
    def backward(ctx: Any, *grads: torch.Tensor | None) -> tuple[torch.Tensor | None, ...]:
        complements = ctx.saved_tensors
        rows = complements[0].shape[1]
        grad_lower = complements[0].new_zeros((rows, sum(ctx.sizes)))
        for grad, complement, out in zip(
            grads, complements, grad_lower.split(ctx.sizes, -1), strict=True
        ):
            if grad is not None:
                torch.mul(grad[0], complement[0], out=out)
                out.addcmul_(grad[1], complement[1])
        return (grad_lower, None, *(None for _ in complements))


def _pair_sources(
    names: list[str], full_uniform: dict[str, torch.Tensor], layer_uniform: dict[str, torch.Tensor]
) -> list[torch.Tensor]:
    return [
        torch.stack([full_uniform[n].flatten(0, -2), layer_uniform[n].flatten(0, -2)])
        for n in names
    ]


def joint_mask_pairs(
    joint: JointCI, full_uniform: dict[str, torch.Tensor], layer_uniform: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """The full and layerwise masks m = g + (1 − g)·r of ``stochastic_masks`` for the matrices
    of ``joint`` (g: its lower-leaky CI side by side): per module a (2, rows..., C) tensor, [0]
    the full masks and [1] the layerwise ones."""
    names = joint.names
    sources = _pair_sources(names, full_uniform, layer_uniform)
    masks = _JointMaskPairs.apply(joint.lower, joint.sizes, *sources)
    return {
        name: mask.view(2, *full_uniform[name].shape[:-1], -1)
        for name, mask in zip(names, masks, strict=True)
    }


class _MaskPair(torch.autograd.Function):
    """Inputs: the CI g (rows..., C) and the full and layerwise sources r, r' of its shape.
    Outputs: the masks r + g·(1 − r) and r' + g·(1 − r'), apart; the gradient reaching g is
    ∂L/∂m·(1 − r) + ∂L/∂m'·(1 − r')."""

    @staticmethod
    def forward(
        ctx: Any, lower: torch.Tensor, full: torch.Tensor, layer: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        complements = [torch.rsub(r.to(lower.dtype), 1.0) for r in (full, layer)]
        ctx.save_for_backward(*complements)
        return tuple(  # type: ignore[return-value]
            torch.addcmul(r.to(lower.dtype), lower, complement)
            for r, complement in zip((full, layer), complements, strict=True)
        )

    @staticmethod
    def backward(
        ctx: Any, grad_full: torch.Tensor | None, grad_layer: torch.Tensor | None
    ) -> tuple[torch.Tensor | None, None, None]:
        full_complement, layer_complement = ctx.saved_tensors
        if grad_full is None and grad_layer is None:
            return None, None, None
        if grad_full is None:
            return grad_layer * layer_complement, None, None
        grad = grad_full * full_complement
        if grad_layer is not None:
            grad.addcmul_(grad_layer, layer_complement)
        return grad, None, None


def full_and_layer_masks(
    ci_lower: dict[str, torch.Tensor],
    full_uniform: dict[str, torch.Tensor],
    layer_uniform: dict[str, torch.Tensor],
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """``stochastic_masks`` of ``full_uniform`` and of ``layer_uniform`` from one CI, in one
    autograd step per matrix: the full masks and the layerwise masks, per module."""
    full, layer = {}, {}
    for name, lower in ci_lower.items():
        full[name], layer[name] = _MaskPair.apply(lower, full_uniform[name], layer_uniform[name])
    return full, layer
