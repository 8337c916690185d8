"""Modular addition a + b mod p over all pairs, split into train and test at random."""

from __future__ import annotations

import torch

from subnetlab.data.tasks import TaskData, TaskSource, TaskSpec
from subnetlab.registry import register_dataset
from subnetlab.schemas.bimt import ModularAdditionDatasetSchema


def modular_addition(
    p: int = 59, train_fraction: float = 0.8, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """All p*p pairs (a, b) with label (a + b) mod p.

    Returns (train_tokens (n_train, 2) long, train_labels (n_train,), test_tokens, test_labels),
    n_train = int(train_fraction * p * p).
    """
    if p < 2:
        raise ValueError(f"p={p} must be >= 2")
    if not 0 < train_fraction < 1:
        raise ValueError(f"train_fraction={train_fraction} must be in (0, 1)")
    a, b = torch.meshgrid(torch.arange(p), torch.arange(p), indexing="ij")
    tokens = torch.stack([a.reshape(-1), b.reshape(-1)], dim=1)
    labels = (tokens[:, 0] + tokens[:, 1]) % p
    order = torch.randperm(p * p, generator=torch.Generator().manual_seed(seed))
    n_train = int(train_fraction * p * p)
    train, test = order[:n_train], order[n_train:]
    return tokens[train], labels[train], tokens[test], labels[test]


@register_dataset("modular_addition", ModularAdditionDatasetSchema, produces=TaskSource)
def build_modular_addition(cfg: ModularAdditionDatasetSchema) -> TaskSource:
    """``dataset=modular_addition``: token pairs (a, b) → (a + b) mod p, split with the seed."""

    def draw(seed: int) -> TaskSpec:
        tensors = modular_addition(cfg.p, cfg.train_fraction, seed)
        return TaskSpec(TaskData(*tensors), "cross_entropy", 2, cfg.p, vocab_size=cfg.p)

    return TaskSource(draw)
