"""What analysis methods read of a LightningDataModule dataset: probe inputs and, where the
dataset knows them, the matching targets."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import torch

from subnetlab.schemas.base import ConfigError


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


@runtime_checkable
class FiniteProbes(Protocol):
    """A dataset with a fixed number of probe inputs (a file, a drawn set, a task's split);
    one without this attribute draws as many as asked for."""

    @property
    def n_probes(self) -> int:
        """How many rows ``eval_batch(size)`` can serve."""
        ...


def require_probes(key: str, size: int, available: int, where: str) -> None:
    """Raise a ConfigError when ``size`` examples (the config value ``key``) are asked of
    ``where`` (``dataset=tensors``), which holds only ``available``: taking fewer than asked for
    would change the analysis without a word."""
    if size > available:
        raise ConfigError(
            key, size, f"at most {available} ({where} holds {available} probe inputs)"
        )


def require_dataset_probes(source: object, key: str, size: int, dataset_cfg: Any) -> None:
    """``require_probes`` for a datamodule ``source`` of the ``dataset`` option ``dataset_cfg``
    (nothing to check, nor read of ``dataset_cfg``, for one that draws its probes)."""
    if isinstance(source, FiniteProbes):
        require_probes(key, size, source.n_probes, f"dataset={dataset_cfg.name}")
