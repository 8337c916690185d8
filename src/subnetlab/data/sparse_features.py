"""Sparse feature distributions of the TMS and ResidMLP toys (reference §2.1)."""

from __future__ import annotations

import torch


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


def resid_mlp_labels(x: torch.Tensor) -> torch.Tensor:
    """ResidMLP target labels y_i = x_i + ReLU(x_i)."""
    return x + torch.relu(x)


def one_hot_probe(n_features: int, magnitude: float = 0.75) -> torch.Tensor:
    """One input per feature with only that feature on, at ``magnitude`` (CI pattern checks)."""
    return torch.eye(n_features) * magnitude
