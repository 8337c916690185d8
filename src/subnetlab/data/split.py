"""One train/test split of a supervised dataset: the container every recipe reads."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Split:
    """Inputs ``x_*`` and targets ``y_*`` of the training and the held-out part.

    x: (n, ...) inputs — float features, flattened images or long token ids; y: (n,) long classes,
    (n, T) long next tokens, or (n, d) float regression targets. Row i of ``x_*`` goes with row i
    of ``y_*``.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    def __post_init__(self) -> None:
        for part in ("train", "test"):
            x, y = getattr(self, f"x_{part}"), getattr(self, f"y_{part}")
            if x.shape[0] != y.shape[0]:
                raise ValueError(
                    f"x_{part} has {x.shape[0]} rows but y_{part} has {y.shape[0]}; every input "
                    "needs one target"
                )

    @property
    def n_train(self) -> int:
        return int(self.x_train.shape[0])

    @property
    def n_test(self) -> int:
        return int(self.x_test.shape[0])
