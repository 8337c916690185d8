"""What analysis methods read of a LightningDataModule dataset: probe inputs and, where the
dataset knows them, the matching targets."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import torch

from subnetlab.schemas.base import ConfigError, defaults_of
from subnetlab.schemas.describe import is_schema


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


def available_probes(source: object) -> int | None:
    """How many probe inputs a datamodule ``source`` holds; None for one that draws as many as
    asked for."""
    return source.n_probes if isinstance(source, FiniteProbes) else None


def probe_count(
    key: str, requested: int | None, default: int | None, available: int | None, where: str
) -> int:
    """How many probe inputs to take when the config value ``key`` asks for ``requested``
    (None: all) of ``where`` (``dataset=tensors``), which holds ``available`` (None: draws any
    number). The schema's ``default`` takes at most what there is; a value given above it is an
    error, not a silent cut.

    Raises:
        ConfigError: ``requested`` exceeds ``available`` and is not the default, or is None
            for a dataset that draws its inputs.
    """
    if requested is None:
        if available is None:
            raise ConfigError(key, None, f"a number ({where} draws its inputs)")
        return available
    if available is None or requested <= available:
        return requested
    if requested == default:
        return available
    raise ConfigError(
        key, requested, f"at most {available} ({where} holds {available} probe inputs)"
    )


def eval_count(cfg: Any, available: int) -> int:
    """How many probe inputs ``eval_batch()`` serves when a method asks for none: the dataset
    option ``cfg``'s ``eval_size`` (its schema's default taking at most ``available``).

    Raises:
        ConfigError: a given ``dataset.eval_size`` above ``available``.
    """
    default = defaults_of(type(cfg))["eval_size"] if is_schema(type(cfg)) else None
    where = f"dataset={cfg.name}"
    return probe_count("dataset.eval_size", cfg.eval_size, default, available, where)
