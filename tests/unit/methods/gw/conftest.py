"""Small shared inputs for the GW tests."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture
def points() -> torch.Tensor:
    """(40, 6) float64 Gaussian points from a fixed seed."""
    return torch.randn(40, 6, generator=torch.Generator().manual_seed(3), dtype=torch.float64)


@pytest.fixture
def two_layers(points: torch.Tensor) -> torch.Tensor:
    """(2, 40, 40) max-normalised distance matrices of ``points`` and a tanh map of it."""
    from subnetlab.methods.gw.distances import layer_distances

    weight = torch.randn(6, 5, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    return layer_distances([points, torch.tanh(2.0 * points @ weight)])
