"""Two interleaving half circles with Gaussian noise (a make_moons-style generator)."""

from __future__ import annotations

import math

import torch

from subnetlab.data.tasks import TaskData, TaskSource, TaskSpec
from subnetlab.registry import register_dataset
from subnetlab.schemas.bimt import TwoMoonsDatasetSchema


def two_moons(
    n_samples: int = 200, noise: float = 0.1, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Points on two half circles, shuffled.

    The upper moon (label 0) is (cos t, sin t), the lower one (label 1) is (1 - cos t, 0.5 - sin t),
    t evenly spaced in [0, pi]; Gaussian noise of std ``noise`` is added to both coordinates.
    Returns (x (n_samples, 2) float, labels (n_samples,) long).
    """
    if n_samples < 2:
        raise ValueError(f"n_samples={n_samples} must be >= 2")
    if noise < 0:
        raise ValueError(f"noise={noise} must be >= 0")
    generator = torch.Generator().manual_seed(seed)
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    t_upper = torch.linspace(0, math.pi, n_upper)
    t_lower = torch.linspace(0, math.pi, n_lower)
    upper = torch.stack([torch.cos(t_upper), torch.sin(t_upper)], dim=1)
    lower = torch.stack([1 - torch.cos(t_lower), 0.5 - torch.sin(t_lower)], dim=1)
    x = torch.cat([upper, lower])
    labels = torch.cat(
        [torch.zeros(n_upper, dtype=torch.long), torch.ones(n_lower, dtype=torch.long)]
    )
    x = x + noise * torch.randn(x.shape, generator=generator)
    order = torch.randperm(n_samples, generator=generator)
    return x[order], labels[order]


@register_dataset("two_moons", TwoMoonsDatasetSchema, produces=TaskSource)
def build_two_moons(cfg: TwoMoonsDatasetSchema) -> TaskSource:
    """``dataset=two_moons``: train and test points drawn with the run's seed (test: seed +
    1000003), two classes."""

    def draw(seed: int) -> TaskSpec:
        x_tr, y_tr = two_moons(cfg.n_train, cfg.noise, seed)
        x_te, y_te = two_moons(cfg.n_test, cfg.noise, seed + 1_000_003)
        return TaskSpec(TaskData(x_tr, y_tr, x_te, y_te), "cross_entropy", 2, 2)

    return TaskSource(draw)
