"""LightningDataModule of the TMS / ResidMLP sparse-feature distributions."""

from __future__ import annotations

from functools import partial
from typing import Any

import lightning as L
import torch

from subnetlab.data.sparse_features import sample_sparse_features
from subnetlab.data.step_batches import StepBatches, step_generator

EVAL_STREAM = 1


class SparseFeatureDataModule(L.LightningDataModule):
    """Batches of sparse features for a model with ``model_cfg.n_features`` inputs."""

    def __init__(self, cfg: Any, seed: int, model_cfg: Any) -> None:
        super().__init__()
        self.cfg, self.seed, self.n_features = cfg, seed, model_cfg.n_features

    def sample(self, batch_size: int, generator: torch.Generator) -> torch.Tensor:
        cfg = self.cfg
        return sample_sparse_features(
            batch_size,
            self.n_features,
            cfg.feature_probability,
            cfg.value_low,
            cfg.value_high,
            generator,
        )

    def train_dataloader(self) -> StepBatches:
        trainer = self.trainer
        start = (lambda: trainer.global_step) if trainer is not None else (lambda: 0)
        rank = trainer.global_rank if trainer is not None else 0
        return StepBatches(partial(self.sample), self.cfg.batch_size, self.seed, start, rank)

    def eval_batch(self, size: int | None = None) -> torch.Tensor:
        """A fixed held-out batch (same for every call)."""
        return self.sample(size or self.cfg.eval_size, step_generator(self.seed, 0, EVAL_STREAM))
