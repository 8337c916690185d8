"""Stochastic masks of SPD (arXiv:2506.20790, §2): uniform sources r per datapoint, matrix and
subcomponent, and the masks m = g + (1 − g)·r from the lower-leaky causal importance g, for the
plain implementation and, as small hand-written autograd steps, for the fast one."""

from __future__ import annotations

import math
from typing import Any

import torch

from subnetlab.methods.spd.fused_gates import JointCI


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


class _FullAndLayerMasks(torch.autograd.Function):
    """Inputs: the lower-leaky CI g (rows, Σ C) of n matrices side by side, their column
    sizes, whether to pair the outputs, then the n full sources and the n layerwise ones
    (rows, C_i). Outputs: per matrix the masks r + g·(1 − r) (= g + (1 − g)·r) of both sources,
    as one (2, rows, C_i) pair each when ``paired``, else the n full masks then the n layerwise
    ones. The gradient reaching g is Σ ∂L/∂m·(1 − r) over both, written into g's columns: a
    handful of small operations, where autograd on the formula broadcasts and reduces over
    every mask (and zero-fills the gradient of a pair for each half)."""

    @staticmethod
    def forward(
        ctx: Any, lower: torch.Tensor, sizes: list[int], paired: bool, *sources: torch.Tensor
    ) -> tuple[torch.Tensor, ...]:
        n = len(sizes)
        ci = lower.split(sizes, -1)
        full, layer = ([r.to(lower.dtype) for r in sources[k * n : (k + 1) * n]] for k in (0, 1))
        if paired:
            pairs = [torch.stack(pair) for pair in zip(full, layer, strict=True)]
            complements = [torch.rsub(r, 1.0) for r in pairs]
            masks = [torch.addcmul(r, g, c) for r, g, c in zip(pairs, ci, complements, strict=True)]
        else:
            complements = [torch.rsub(r, 1.0) for r in full + layer]
            masks = [
                torch.addcmul(r, g, c)
                for r, g, c in zip(full + layer, ci + ci, complements, strict=True)
            ]
        ctx.save_for_backward(*complements)
        ctx.sizes, ctx.paired = sizes, paired
        return tuple(masks)

    @staticmethod
    def backward(ctx: Any, *grads: torch.Tensor | None) -> tuple[torch.Tensor | None, ...]:
        complements, sizes = ctx.saved_tensors, ctx.sizes
        n = len(sizes)

        def halves(i: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
            """Matrix i's (gradient, 1 − r) of its full and of its layerwise masks."""
            if ctx.paired:
                grad, complement = grads[i], complements[i]
                return [] if grad is None else [(grad[0], complement[0]), (grad[1], complement[1])]
            return [(g, complements[j]) for j in (i, n + i) if (g := grads[j]) is not None]

        terms = [halves(i) for i in range(n)]
        grad_lower = complements[0].new_zeros((complements[0].shape[-2], sum(sizes)))
        for pieces, out in zip(terms, grad_lower.split(sizes, -1), strict=True):
            for k, (grad, complement) in enumerate(pieces):
                if k == 0:
                    torch.mul(grad, complement, out=out)
                else:
                    out.addcmul_(grad, complement)
        return (grad_lower, None, None, *(None for _ in range(2 * n)))


def _sources(names: list[str], uniform: dict[str, torch.Tensor]) -> list[torch.Tensor]:
    return [uniform[n].flatten(0, -2) for n in names]


def joint_mask_pairs(
    joint: JointCI, full_uniform: dict[str, torch.Tensor], layer_uniform: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """The full and layerwise masks of ``stochastic_masks`` for the matrices of ``joint`` (g: its
    lower-leaky CI side by side) in one autograd step: per module a (2, rows..., C) tensor, [0]
    the full masks and [1] the layerwise ones."""
    names = joint.names
    sources = _sources(names, full_uniform) + _sources(names, layer_uniform)
    masks = _FullAndLayerMasks.apply(joint.lower, joint.sizes, True, *sources)
    return {
        name: mask.view(2, *full_uniform[name].shape[:-1], -1)
        for name, mask in zip(names, masks, strict=True)
    }


def _per_matrix(
    ci_lower: dict[str, torch.Tensor],
    full_uniform: dict[str, torch.Tensor],
    layer_uniform: dict[str, torch.Tensor],
    paired: bool,
) -> dict[str, tuple[torch.Tensor, ...]]:
    """``_FullAndLayerMasks`` for each matrix of ``ci_lower`` on its own (rows flattened)."""
    out = {}
    for name, lower in ci_lower.items():
        flat = lower.flatten(0, -2)
        sources = _sources([name], full_uniform) + _sources([name], layer_uniform)
        out[name] = _FullAndLayerMasks.apply(flat, [flat.shape[-1]], paired, *sources)
    return out


def full_and_layer_masks(
    ci_lower: dict[str, torch.Tensor],
    full_uniform: dict[str, torch.Tensor],
    layer_uniform: dict[str, torch.Tensor],
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """``stochastic_masks`` of ``full_uniform`` and of ``layer_uniform`` for matrices whose CI
    was computed apart (``ci_lower[name]`` (rows..., C)), one autograd step per matrix: the full
    masks and the layerwise masks, per module, each of the CI's shape."""
    masks = _per_matrix(ci_lower, full_uniform, layer_uniform, paired=False)
    full = {n: m[0].view(ci_lower[n].shape) for n, m in masks.items()}
    layer = {n: m[1].view(ci_lower[n].shape) for n, m in masks.items()}
    return full, layer


def mask_pairs(
    ci_lower: dict[str, torch.Tensor],
    full_uniform: dict[str, torch.Tensor],
    layer_uniform: dict[str, torch.Tensor],
) -> dict[str, torch.Tensor]:
    """``full_and_layer_masks`` as one (2, rows..., C) pair per module ([0] full, [1] layerwise),
    for the stacked passes."""
    masks = _per_matrix(ci_lower, full_uniform, layer_uniform, paired=True)
    return {n: pair.view(2, *ci_lower[n].shape) for n, (pair,) in masks.items()}
