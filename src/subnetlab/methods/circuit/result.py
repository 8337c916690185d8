"""What every discovery algorithm returns."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .edge_graph import EdgeMask


@dataclass
class DiscoveryResult:
    """A discovered circuit and what finding it cost."""

    algorithm: str
    tau: float
    mask: EdgeMask
    scores: list[torch.Tensor]
    """per weight layer, (d_out, d_in) edge scores: the measured metric change for acdc (NaN for
    edges never tested), the estimated change for eap, the relative |w| for magnitude."""
    forward_passes: int
    """batched forward passes over the dataset (each may evaluate many candidate circuits)."""
    circuits_evaluated: int
    """candidate circuits whose metric was computed (= forward passes of unbatched ACDC)."""
    backward_passes: int
    wall_time_s: float
