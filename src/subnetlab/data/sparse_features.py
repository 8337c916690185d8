"""Sparse feature distributions of the TMS and ResidMLP toys (SPD, arXiv:2506.20790, §3): the
sampler, and the ``sparse_features`` / ``resid_features`` datasets that configure it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from subnetlab.registry import register_dataset
from subnetlab.schemas.datasets import ResidFeaturesSchema, SparseFeaturesSchema


def sample_sparse_features(
    batch_size: int,
    n_features: int,
    feature_probability: float,
    value_low: float,
    value_high: float,
    generator: torch.Generator,
) -> torch.Tensor:
    """Each feature is independently on with ``feature_probability`` and then uniform in
    [value_low, value_high]; all-zero samples are kept."""
    on = torch.rand(batch_size, n_features, generator=generator) < feature_probability
    values = torch.rand(batch_size, n_features, generator=generator)
    values = value_low + (value_high - value_low) * values
    return torch.where(on, values, torch.zeros_like(values))


@dataclass(frozen=True)
class SparseFeatures:
    """One sparse feature distribution: ``sample`` draws (batch_size, n_features) inputs on the
    generator's device (see ``sample_sparse_features``)."""

    feature_probability: float
    value_low: float
    value_high: float

    def sample(self, batch_size: int, n_features: int, generator: torch.Generator) -> torch.Tensor:
        return sample_sparse_features(
            batch_size,
            n_features,
            self.feature_probability,
            self.value_low,
            self.value_high,
            generator,
        )


@register_dataset("sparse_features", SparseFeaturesSchema, produces=SparseFeatures)
@register_dataset("resid_features", ResidFeaturesSchema, produces=SparseFeatures)
def build_sparse_features(cfg: Any) -> SparseFeatures:
    """The distribution a ``dataset=sparse_features`` or ``resid_features`` config describes."""
    return SparseFeatures(cfg.feature_probability, cfg.value_low, cfg.value_high)


def resid_mlp_labels(x: torch.Tensor) -> torch.Tensor:
    """ResidMLP target labels y_i = x_i + ReLU(x_i)."""
    return x + torch.relu(x)


def one_hot_probe(
    n_features: int, magnitude: float = 0.75, device: torch.device | str | None = None
) -> torch.Tensor:
    """One input per feature with only that feature on, at ``magnitude`` (CI pattern checks):
    (n_features, n_features) on ``device`` (default: torch's default device)."""
    return torch.eye(n_features, device=device) * magnitude
