"""The clean examples a circuit is found on, from any dataset whose split gives input tensors.

Two kinds of dataset give them: the task datasets of ``data/tasks.py`` (train and test tensors
with targets, see :mod:`.task`) and any LightningDataModule dataset that serves probe inputs
(``eval_batch``; with ``eval_targets`` also their targets), e.g. ``dataset=tensors``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from subnetlab.data.probes import ProbeInputs, ProbeTargets

from .metrics import Task
from .target import LayeredTarget


@dataclass
class CircuitExamples:
    """Clean examples for discovery and, where known, what the task asks of them."""

    inputs: torch.Tensor
    """(B, ...) the dataset's inputs: features, or token ids for a token model."""
    targets: torch.Tensor | None = None
    """(B, n_out) regression targets or (B,) class labels; None when the dataset has none."""

    @property
    def task(self) -> Task | None:
        """classification for integer labels, regression for float targets, None without."""
        if self.targets is None:
            return None
        return "regression" if self.targets.is_floating_point() else "classification"


def probe_examples(source: ProbeInputs, split: str, probe_size: int) -> CircuitExamples:
    """The first ``probe_size`` probe inputs of a datamodule (its held-out rows: ``split`` must
    be ``test``) and their targets when it has them."""
    if split != "test":
        raise ValueError(
            f"split={split!r}: this dataset serves only its held-out probe inputs; allowed: test"
        )
    inputs = source.eval_batch(probe_size)
    targets = source.eval_targets(probe_size) if isinstance(source, ProbeTargets) else None
    return CircuitExamples(inputs, targets)


def encoded_inputs(target: LayeredTarget, examples: CircuitExamples) -> torch.Tensor:
    """The examples as the target's layered-net inputs (B, widths[0]).

    Raises:
        ValueError: one line, when there are fewer than 2 examples, the inputs do not fit the
            target's first layer, or the targets do not fit its outputs.
    """
    n = len(examples.inputs)
    if n < 2:
        raise ValueError(f"{n} example(s); circuit discovery needs ≥ 2")
    inputs = target.encode(examples.inputs)
    targets, n_out = examples.targets, target.widths[-1]
    if targets is None:
        return inputs
    if len(targets) != n:
        raise ValueError(f"{len(targets)} targets for {n} inputs")
    if examples.task == "classification":
        if targets.ndim != 1 or int(targets.min()) < 0 or int(targets.max()) >= n_out:
            raise ValueError(
                f"class labels {tuple(targets.shape)} in {int(targets.min())}..{int(targets.max())}"
                f"; the target has {n_out} outputs (labels 0..{n_out - 1})"
            )
    elif targets.shape != (n, n_out):
        raise ValueError(
            f"regression targets of shape {tuple(targets.shape)}; the target has {n_out} "
            f"outputs: ({n}, {n_out})"
        )
    return inputs
