"""Edge attribution patching (Syed, Rager, Conmy 2023): every edge scored from gradients at once.

Give every edge a weight ``alpha`` between its circuit value (1) and its ablated value (0):
``z_v = sum_u W[v, u] (alpha_vu a_u + (1 - alpha_vu) a'_u) + b_v``. Removing an edge changes the
metric by about ``-dM/d alpha_vu = W[v, u] (a'_u - a_u) dM/dz_v``, summed over examples: one
forward and one backward pass through the masked net, on top of the cached clean and corrupted
passes.

KL and MSE to the full model are minimal at the full model, so their gradient there is zero; for
them use ``ig_steps >= 1``: the gradient averaged over ``alpha`` at the midpoints of ``ig_steps``
equal steps from the full model (1) to the fully ablated one (0), as in EAP with integrated
gradients (EAP-IG; Hanna, Pezzelle, Belinkov 2024, arXiv:2403.17806, §3): ``algorithm=eap_ig``.
The scores of all edges then add up to about the metric of the empty circuit.
"""

from __future__ import annotations

import time

import torch

from .edge_graph import EdgeMask
from .metrics import CircuitMetric
from .patching import PatchingCache, patched_forward
from .result import DiscoveryResult


def eap_scores(
    cache: PatchingCache, metric: CircuitMetric, ig_steps: int = 0
) -> tuple[list[torch.Tensor], int]:
    """Estimated metric change of removing each edge, and the forward/backward passes used.

    Args:
        ig_steps: 0 for plain EAP (gradient at the full model); ``k >= 1`` for the mean gradient
            at ``alpha = (i + 1/2) / k``, ``i = 0..k-1``.
    Returns:
        per weight layer, (d_out, d_in) signed estimates; the number of forward+backward passes.
    """
    if ig_steps < 0:
        raise ValueError(f"ig_steps={ig_steps} invalid: allowed 0 (plain EAP) or a positive count")
    if ig_steps == 0 and metric.flat_at_full_model:
        raise ValueError(
            f"metric={metric.name!r} has zero gradient at the full model, so plain EAP "
            "(ig_steps=0) scores every edge 0; use ig_steps >= 1 or metric='logit_diff'"
        )
    alphas = [1.0] if ig_steps == 0 else [(i + 0.5) / ig_steps for i in range(ig_steps)]
    shapes = cache.graph.layer_shapes
    totals = [torch.zeros(shape, dtype=cache.net.weights[0].dtype) for shape in shapes]
    for alpha in alphas:
        mask = [
            torch.full(s, alpha, dtype=t.dtype, requires_grad=True)
            for s, t in zip(shapes, totals, strict=True)
        ]
        value = metric(patched_forward(cache, mask))
        grads = torch.autograd.grad(value, mask)
        for total, grad in zip(totals, grads, strict=True):
            total -= grad / len(alphas)
    return totals, len(alphas)


def circuit_from_scores(scores: list[torch.Tensor], tau: float) -> EdgeMask:
    """Keep the edges whose score magnitude is at least ``tau``."""
    return [s.abs() >= tau for s in scores]


def eap(
    cache: PatchingCache, metric: CircuitMetric, tau: float, ig_steps: int = 0
) -> DiscoveryResult:
    """Score every edge with EAP and keep those with ``|score| >= tau``."""
    if not tau >= 0.0:
        raise ValueError(f"tau={tau} invalid: allowed a number >= 0")
    start = time.perf_counter()
    scores, passes = eap_scores(cache, metric, ig_steps)
    return DiscoveryResult(
        algorithm="eap" if ig_steps == 0 else "eap_ig",
        tau=tau,
        mask=circuit_from_scores(scores, tau),
        scores=scores,
        forward_passes=passes,
        circuits_evaluated=passes,
        backward_passes=passes,
        wall_time_s=time.perf_counter() - start,
    )
