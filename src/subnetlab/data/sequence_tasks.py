"""Which sequence task a dataset config describes, and the datamodule serving it."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch

from subnetlab.data.char_text import char_lm_task
from subnetlab.data.modular_sequences import modular_addition_sequences
from subnetlab.data.sequence_task import SequenceTask

SEQUENCE_DATASETS = ("modular_addition_seq", "char_lm")


def build_sequence_task(dataset_cfg: Any) -> SequenceTask:
    """The tensors of a ``modular_addition_seq`` or ``char_lm`` dataset config."""
    match dataset_cfg.name:
        case "modular_addition_seq":
            return modular_addition_sequences(
                dataset_cfg.p, dataset_cfg.train_fraction, dataset_cfg.split_seed
            )
        case "char_lm":
            return char_lm_task(
                dataset_cfg.text,
                dataset_cfg.context,
                dataset_cfg.test_fraction,
                dataset_cfg.train_stride,
                dataset_cfg.test_stride,
            )
    raise ValueError(
        f"dataset={dataset_cfg.name!r} is not a sequence task; allowed: {list(SEQUENCE_DATASETS)}"
    )


def probe_inputs(task: SequenceTask, size: int, seed: int = 0) -> torch.Tensor:
    """(min(size, n), T) inputs: held-out sequences first, then training ones, each part in a
    fixed random order (a probe set needs no labels, and small test splits run out)."""
    gen = torch.Generator().manual_seed(seed)
    test = task.test_inputs[torch.randperm(task.test_inputs.shape[0], generator=gen)]
    train = task.train_inputs[torch.randperm(task.train_inputs.shape[0], generator=gen)]
    return torch.cat([test, train])[:size]


class SequenceDataModule(L.LightningDataModule):
    """Serves a sequence task; analysis methods read ``task`` and ``eval_batch(size)``."""

    def __init__(self, cfg: Any, seed: int, model_cfg: Any) -> None:
        super().__init__()
        self.cfg, self.seed = cfg, seed
        self.task = build_sequence_task(cfg)
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

    def eval_batch(self, size: int | None = None) -> torch.Tensor:
        """A fixed probe batch of token sequences (the same for every call)."""
        return probe_inputs(self.task, size or self.cfg.eval_size)
