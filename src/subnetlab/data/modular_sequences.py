"""Modular addition as token sequences ``a b =`` for a transformer: predict (a + b) mod p at the
last position (the ``=`` token, id p)."""

from __future__ import annotations

import torch

from subnetlab.data.modular_addition import modular_addition
from subnetlab.data.sequence_task import SequenceTask
from subnetlab.data.split import Split
from subnetlab.registry import register_dataset
from subnetlab.schemas.datasets import ModularAdditionSeqSchema


def equals_token(p: int) -> int:
    """Id of the ``=`` token: one past the numbers 0 … p−1."""
    return p


def to_sequences(pairs: torch.Tensor, p: int) -> torch.Tensor:
    """(n, 2) pairs (a, b) → (n, 3) sequences (a, b, =)."""
    equals = torch.full((pairs.shape[0], 1), equals_token(p), dtype=pairs.dtype)
    return torch.cat([pairs, equals], dim=1)


def modular_addition_sequences(
    p: int = 59, train_fraction: float = 0.8, split_seed: int = 0
) -> SequenceTask:
    """All p² sequences ``a b =`` with target (a + b) mod p; vocabulary p + 1 (numbers and ``=``).

    The train/test split is the one of ``data.modular_addition.modular_addition``.
    """
    train_pairs, train_labels, test_pairs, test_labels = modular_addition(
        p, train_fraction, split_seed
    )
    split = Split(
        to_sequences(train_pairs, p), train_labels, to_sequences(test_pairs, p), test_labels
    )
    return SequenceTask(split, vocab_size=p + 1, predict="last")


@register_dataset("modular_addition_seq", ModularAdditionSeqSchema, produces=SequenceTask)
def build_modular_addition_seq(cfg: ModularAdditionSeqSchema) -> SequenceTask:
    """The task a ``dataset=modular_addition_seq`` config describes."""
    return modular_addition_sequences(cfg.p, cfg.train_fraction, cfg.split_seed)
