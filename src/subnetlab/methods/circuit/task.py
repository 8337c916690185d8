"""The inputs, targets and known circuit of a BIMT task, in the layered net's input space."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from subnetlab.data.symbolic import SYMBOLIC_TASKS
from subnetlab.methods.bimt.task_data import TaskSpec
from subnetlab.models.mlp import MLP

from .ground_truth import GroundTruth
from .metrics import Task


@dataclass
class CircuitTask:
    """Clean examples for discovery and what the task asks of them."""

    inputs: torch.Tensor
    """(B, n_in) inputs of ``MLP.to_layered_net()`` (one-hot tokens for token tasks)."""
    targets: torch.Tensor
    """(B, n_out) regression targets or (B,) class labels."""
    task: Task
    truth: GroundTruth | None
    """the task's known circuit, None when nothing usable is known."""


def symbolic_ground_truth(dataset_name: str, widths: list[int]) -> GroundTruth | None:
    """Input→output dependencies of a symbolic formula task; None for other tasks or when
    every output uses every input (nothing to tell apart)."""
    if not dataset_name.startswith("symbolic_"):
        return None
    spec = SYMBOLIC_TASKS[dataset_name.removeprefix("symbolic_")]
    dependencies = torch.zeros(spec.n_outputs, spec.n_inputs, dtype=torch.bool)
    for output, inputs in enumerate(spec.depends_on):
        dependencies[output, list(inputs)] = True
    if bool(dependencies.all()):
        return None
    return GroundTruth.from_dependencies(dependencies, widths)


def circuit_task(
    spec: TaskSpec, dataset_name: str, model: MLP, n_examples: int, split: str
) -> CircuitTask:
    """The first ``n_examples`` examples of ``split`` (train or test) of a BIMT task."""
    if split not in ("train", "test"):
        raise ValueError(f"split={split!r} is not supported; allowed: ['train', 'test']")
    data: Any = spec.data
    x = getattr(data, f"x_{split}")[:n_examples]
    y = getattr(data, f"y_{split}")[:n_examples]
    if len(x) < 2:
        raise ValueError(f"the {split} split has {len(x)} examples; circuit discovery needs ≥ 2")
    dtype = model.linears[0].weight.dtype
    inputs = model.embedded_inputs(x) if model.embedding is not None else x.to(dtype)
    task: Task = "regression" if spec.loss == "mse" else "classification"
    targets = y.to(dtype) if task == "regression" else y
    widths = model.to_layered_net(task_order=True).widths
    return CircuitTask(inputs, targets, task, symbolic_ground_truth(dataset_name, widths))
