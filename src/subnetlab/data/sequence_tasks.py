"""The datamodule serving a sequence task (any dataset registered as giving a SequenceTask)."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch

from subnetlab.data.probes import eval_count
from subnetlab.data.sequence_task import SequenceTask
from subnetlab.data.step_batches import StepBatches, batches_from_step, uniform_rows
from subnetlab.registry import build_dataset


def probe_inputs(task: SequenceTask, size: int, seed: int = 0) -> torch.Tensor:
    """(min(size, n), T) inputs: held-out sequences first, then training ones, each part in a
    fixed random order (a probe set needs no labels, and small test splits run out)."""
    gen = torch.Generator().manual_seed(seed)
    x_test, x_train = task.split.x_test, task.split.x_train
    test = x_test[torch.randperm(x_test.shape[0], generator=gen)]
    train = x_train[torch.randperm(x_train.shape[0], generator=gen)]
    return torch.cat([test, train])[:size]


class SequenceDataModule(L.LightningDataModule):
    """Serves a sequence task; analysis methods read ``task`` and ``eval_batch(size)``."""

    def __init__(self, cfg: Any, seed: int, model_cfg: Any) -> None:
        super().__init__()
        self.cfg, self.seed = cfg, seed
        self.task = build_dataset(cfg, SequenceTask)
        vocab, n_ctx = getattr(model_cfg, "vocab_size", None), getattr(model_cfg, "n_ctx", None)
        if vocab is not None and vocab < self.task.vocab_size:
            raise ValueError(
                f"model.vocab_size={vocab} is below dataset={cfg.name}'s {self.task.vocab_size} "
                "tokens; set model.vocab_size to at least that"
            )
        if n_ctx is not None and n_ctx < self.task.seq_len:
            raise ValueError(
                f"model.n_ctx={n_ctx} is below dataset={cfg.name}'s sequence length "
                f"{self.task.seq_len}; set model.n_ctx to at least that"
            )
        self.eval_size = eval_count(cfg, self.n_probes)

    def sample(self, batch_size: int, generator: torch.Generator) -> torch.Tensor:
        """``batch_size`` training sequences drawn uniformly with replacement, (batch_size, T)."""
        return uniform_rows(self.task.split.x_train)(batch_size, generator)

    def train_dataloader(self) -> StepBatches:
        """Endless batches of training sequences (``dataset.batch_size``) for a method that
        trains on the inputs alone (SPD reconstructs the target's outputs); batch t depends only
        on (seed, t), so a resumed run sees the batches an uninterrupted one would."""
        return batches_from_step(self.sample, self.cfg.batch_size, self.seed, self.trainer)

    def token_text(self, token_id: int) -> str:
        """The text of a token id (its number for tasks without token names)."""
        return self.task.token_text(token_id)

    @property
    def n_probes(self) -> int:
        """Held-out and training sequences together."""
        return len(self.task.split.x_test) + len(self.task.split.x_train)

    def eval_batch(self, size: int | None = None) -> torch.Tensor:
        """A fixed probe batch of token sequences (the same for every call)."""
        return probe_inputs(self.task, size or self.eval_size)
