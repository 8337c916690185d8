"""LightningDataModule of the TMS / ResidMLP sparse-feature distributions."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch

from subnetlab.data.sparse_features import SparseFeatures
from subnetlab.data.step_batches import StepBatches, batches_from_step, step_generator
from subnetlab.registry import build_dataset

EVAL_STREAM = 1


class SparseFeatureDataModule(L.LightningDataModule):
    """Batches of sparse features for a model with ``model_cfg.n_features`` inputs."""

    def __init__(self, cfg: Any, seed: int, model_cfg: Any) -> None:
        super().__init__()
        self.cfg, self.seed, self.n_features = cfg, seed, model_cfg.n_features
        self.features = build_dataset(cfg, SparseFeatures)

    def sample(self, batch_size: int, generator: torch.Generator) -> torch.Tensor:
        return self.features.sample(batch_size, self.n_features, generator)

    def train_dataloader(self) -> StepBatches:
        return batches_from_step(self.sample, self.cfg.batch_size, self.seed, self.trainer)

    def eval_batch(self, size: int | None = None) -> torch.Tensor:
        """A fixed held-out batch (same for every call)."""
        return self.sample(size or self.cfg.eval_size, step_generator(self.seed, 0, EVAL_STREAM))
