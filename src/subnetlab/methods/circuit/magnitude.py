"""Magnitude baseline: keep the edges whose weight is large relative to the largest weight."""

from __future__ import annotations

import time

import torch

from subnetlab.models.layered import LayeredNet

from .result import DiscoveryResult


def relative_magnitudes(net: LayeredNet) -> list[torch.Tensor]:
    """Per weight layer, (d_out, d_in) ``|W| / max |W|`` over the whole net."""
    largest = max(float(w.abs().max()) for w in net.weights)
    if largest == 0.0:
        raise ValueError("every weight of the net is zero; magnitudes cannot rank edges")
    return [w.detach().abs() / largest for w in net.weights]


def magnitude(net: LayeredNet, tau: float) -> DiscoveryResult:
    """Keep edges with ``|w| >= tau * max |w|``; needs no data and no forward pass."""
    if not 0.0 <= tau <= 1.0:
        raise ValueError(f"tau={tau} invalid: magnitude thresholds are fractions in [0, 1]")
    start = time.perf_counter()
    scores = relative_magnitudes(net)
    return DiscoveryResult(
        algorithm="magnitude",
        tau=tau,
        mask=[s >= tau for s in scores],
        scores=scores,
        forward_passes=0,
        circuits_evaluated=0,
        backward_passes=0,
        wall_time_s=time.perf_counter() - start,
    )
