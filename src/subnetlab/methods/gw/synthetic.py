"""A feed-forward network with planted layer groups: the known answer for GW layer clustering.

Each group opens with a random, strongly nonlinear block (new geometry) and continues with
blocks that are orthogonal maps plus an optional small residual perturbation (nearly the same
geometry). With ``within_noise = 0`` the layers of a group are exact isometries of each other.
"""

from __future__ import annotations

import torch
from torch import nn


class _OpenGroup(nn.Module):
    # buffers registered in __init__ (declared so that they read as tensors, not as Modules)
    weight: torch.Tensor
    bias: torch.Tensor

    def __init__(self, d_in: int, width: int, gain: float, generator: torch.Generator) -> None:
        super().__init__()
        weight = torch.randn(width, d_in, generator=generator) * gain / d_in**0.5
        bias = torch.randn(width, generator=generator) * 0.5
        self.register_buffer("weight", weight)
        self.register_buffer("bias", bias)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return torch.tanh(h @ self.weight.T + self.bias)


class _StayInGroup(nn.Module):
    # buffers registered in __init__ (declared so that they read as tensors, not as Modules)
    rotation: torch.Tensor
    perturb: torch.Tensor

    def __init__(self, width: int, noise: float, generator: torch.Generator) -> None:
        super().__init__()
        rotation, _ = torch.linalg.qr(torch.randn(width, width, generator=generator))
        self.register_buffer("rotation", rotation)
        self.register_buffer("perturb", torch.randn(width, width, generator=generator) / width**0.5)
        self.noise = noise

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        rotated = h @ self.rotation.T
        if self.noise == 0.0:
            return rotated
        return rotated + self.noise * torch.tanh(h @ self.perturb.T)


class PlantedGroupsNet(nn.Module):
    """``blocks.0 … blocks.{L-1}``: group g covers ``group_sizes[g]`` consecutive blocks.

    Args:
        group_sizes: layers per group, e.g. [4, 4, 4].
        d_in: input width; width: hidden width.
        gain: scale of the group-opening weights (larger = more nonlinear, groups more distinct).
        within_noise: size of the residual perturbation inside a group (0 = exact isometries).
        seed: weights are drawn from this seed only.
    """

    def __init__(
        self,
        group_sizes: list[int],
        d_in: int = 16,
        width: int = 64,
        gain: float = 3.0,
        within_noise: float = 0.0,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if not group_sizes or min(group_sizes) < 1:
            raise ValueError(
                f"group_sizes must be a non-empty list of positive ints; got {group_sizes}"
            )
        if within_noise < 0:
            raise ValueError(f"within_noise must be >= 0; got {within_noise}")
        generator = torch.Generator().manual_seed(seed)
        blocks: list[nn.Module] = []
        for size in group_sizes:
            blocks.append(_OpenGroup(d_in if not blocks else width, width, gain, generator))
            blocks.extend(_StayInGroup(width, within_noise, generator) for _ in range(size - 1))
        self.blocks = nn.Sequential(*blocks)
        self.group_labels = [g for g, size in enumerate(group_sizes) for _ in range(size)]

    @property
    def layer_names(self) -> list[str]:
        return [f"blocks.{i}" for i in range(len(self.blocks))]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(x)
