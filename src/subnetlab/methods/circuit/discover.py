"""One call that runs the configured discovery algorithm at a threshold."""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import Literal

import torch

from .acdc import acdc
from .eap import eap, eap_scores
from .edge_graph import EdgeGraph, EdgeMask
from .magnitude import magnitude
from .metrics import CircuitMetric
from .patching import PatchingCache
from .result import DiscoveryResult

Algorithm = Literal["acdc", "eap", "eap_ig", "magnitude"]


def top_fraction(graph: EdgeGraph, scores: list[torch.Tensor], fraction: float) -> EdgeMask:
    """The ``ceil(fraction * num_edges)`` edges of largest |score| (ties broken by index)."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction={fraction} invalid: allowed a number in (0, 1]")
    flat = graph.flatten(scores).abs()
    keep = torch.zeros(graph.num_edges, dtype=torch.bool)
    keep[torch.topk(flat, math.ceil(fraction * graph.num_edges)).indices] = True
    return graph.unflatten(keep)


def eap_prefilter(
    cache: PatchingCache, metric: CircuitMetric, fraction: float, ig_steps: int
) -> tuple[EdgeMask, int, float]:
    """The edges ACDC starts from, the EAP passes spent and the seconds it took."""
    start = time.perf_counter()
    scores, passes = eap_scores(cache, metric, ig_steps)
    return top_fraction(cache.graph, scores, fraction), passes, time.perf_counter() - start


def discover(
    algorithm: Algorithm,
    cache: PatchingCache,
    metric: CircuitMetric,
    tau: float,
    *,
    ig_steps: int = 5,
    candidates_per_pass: int = 256,
    abs_value: bool = False,
    prefilter: tuple[EdgeMask, int, float] | None = None,
) -> DiscoveryResult:
    """The circuit of ``algorithm`` at ``tau``; ``prefilter`` (from :func:`eap_prefilter`) limits
    ACDC to those edges and adds their cost to the result's passes and time. ``ig_steps`` is
    used by ``eap_ig`` (``eap`` takes the gradient at the full model)."""
    if algorithm == "magnitude":
        return magnitude(cache.net, tau)
    if algorithm == "eap":
        return eap(cache, metric, tau, ig_steps=0)
    if algorithm == "eap_ig":
        return eap(cache, metric, tau, ig_steps)
    if algorithm != "acdc":
        raise ValueError(
            f"algorithm={algorithm!r} is not supported; allowed: acdc, eap, eap_ig, magnitude"
        )
    start_mask, passes, seconds = prefilter if prefilter is not None else (None, 0, 0.0)
    result = acdc(
        cache,
        metric,
        tau,
        candidates_per_pass=candidates_per_pass,
        start_mask=start_mask,
        abs_value=abs_value,
    )
    return replace(
        result,
        forward_passes=result.forward_passes + passes,
        circuits_evaluated=result.circuits_evaluated + passes,
        backward_passes=result.backward_passes + passes,
        wall_time_s=result.wall_time_s + seconds,
    )
