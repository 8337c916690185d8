"""Next-token tasks for sequence models as tensors: inputs, targets and where the loss is taken."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

Predict = Literal["last", "all"]


@dataclass
class SequenceTask:
    """Train/test token sequences and their targets.

    ``predict="last"``: targets (n,) are the class at the last position (modular addition);
    ``predict="all"``: targets (n, T) are the next token at every position (language modelling).
    """

    train_inputs: torch.Tensor  # (n_train, T) long
    train_targets: torch.Tensor  # (n_train,) or (n_train, T) long
    test_inputs: torch.Tensor  # (n_test, T) long
    test_targets: torch.Tensor  # (n_test,) or (n_test, T) long
    vocab_size: int
    predict: Predict

    @property
    def seq_len(self) -> int:
        return int(self.train_inputs.shape[1])

    def shifted(self, shift: int) -> SequenceTask:
        """The same inputs with every target class c replaced by (c + shift) mod vocab_size: a
        related task for fine-tuning experiments."""
        return SequenceTask(
            self.train_inputs,
            (self.train_targets + shift) % self.vocab_size,
            self.test_inputs,
            (self.test_targets + shift) % self.vocab_size,
            self.vocab_size,
            self.predict,
        )
