"""Next-token tasks for sequence models: a split of token sequences and where the loss is taken."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from subnetlab.data.split import Split

Predict = Literal["last", "all"]


@dataclass(frozen=True)
class SequenceTask:
    """Train/test token sequences (``split.x_*``: (n, T) long) and their targets.

    ``predict="last"``: targets ``split.y_*`` (n,) are the class at the last position (modular
    addition); ``predict="all"``: targets (n, T) are the next token at every position (language
    modelling).
    """

    split: Split
    vocab_size: int
    predict: Predict
    #: each token id's text (for pages that show tokens); None: ids are shown as numbers
    token_names: tuple[str, ...] | None = None

    def token_text(self, token_id: int) -> str:
        """The text of ``token_id`` (its number when the task has no names)."""
        names = self.token_names
        return names[token_id] if names is not None and token_id < len(names) else str(token_id)

    @property
    def seq_len(self) -> int:
        return int(self.split.x_train.shape[1])

    def shifted(self, shift: int) -> SequenceTask:
        """The same inputs with every target class c replaced by (c + shift) mod vocab_size: a
        related task for fine-tuning experiments."""
        s = self.split
        shifted = Split(
            s.x_train,
            (s.y_train + shift) % self.vocab_size,
            s.x_test,
            (s.y_test + shift) % self.vocab_size,
        )
        return SequenceTask(shifted, self.vocab_size, self.predict, self.token_names)
