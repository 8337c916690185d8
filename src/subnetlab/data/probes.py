"""What analysis methods read of a LightningDataModule dataset: probe inputs and, where the
dataset knows them, the matching targets."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch


@runtime_checkable
class ProbeInputs(Protocol):
    """A dataset that serves a fixed batch of held-out inputs."""

    def eval_batch(self, size: int | None = None) -> torch.Tensor:
        """The first ``size`` probe inputs (every call the same), (size, ...)."""
        ...


@runtime_checkable
class ProbeTargets(Protocol):
    """A dataset that also knows what its probe inputs should give."""

    def eval_targets(self, size: int | None = None) -> torch.Tensor | None:
        """Targets of ``eval_batch(size)`` row by row: (size,) class labels or (size, n_out)
        regression targets; None when the dataset has none."""
        ...
