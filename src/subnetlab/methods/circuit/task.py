"""The inputs, targets and known circuit of a BIMT task, in the layered net's input space.

For a model with a token embedding the circuit's input nodes are the embedding dimensions (the
concatenated token embeddings, ``n_tokens * embed_dim`` of them) and its edges are the MLP's
weights only: the table is the input encoding, not wiring. Edge counts then match the weight
graph BIMT trains and draws, and a regime that uses few embedding dimensions gets few input
edges (folding the table into the first layer would connect every token to every hidden neuron
whatever the regime). Corrupted ablation patches in another pair's embeddings, zero ablation
switches a dimension off like BIMT's knock-out experiment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from subnetlab.data.symbolic import SYMBOLIC_TASKS
from subnetlab.data.tasks import TaskSpec
from subnetlab.models.layered import LayeredNet
from subnetlab.models.mlp import MLP

from .ground_truth import GroundTruth
from .metrics import Task


@dataclass
class CircuitTask:
    """Clean examples for discovery and what the task asks of them."""

    inputs: torch.Tensor
    """(B, n_in) inputs of :func:`circuit_net` (the token embeddings for token tasks)."""
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


def circuit_net(model: MLP) -> LayeredNet:
    """The layered net circuits are found in: task-order inputs and outputs; with an embedding,
    the first layer's inputs are the embedding dimensions (token ``t``'s dimension ``d`` at
    ``t * embed_dim + d``, as ``model`` concatenates them)."""
    net = model.to_layered_net(task_order=True)
    if model.embedding is not None:
        first = model.linears[0].weight.detach().clone()
        if model.n_layers == 1:  # the first layer is also the output layer: task-order rows
            first = first[torch.argsort(model.out_perm)]
        net.weights[0] = first
    return net


def model_inputs(model: MLP, x: torch.Tensor) -> torch.Tensor:
    """Task inputs (features, or token ids (B, n_tokens)) → the circuit net's (B, n_in) inputs."""
    dtype = model.linears[0].weight.dtype
    if model.embedding is None:
        return x.to(dtype)
    with torch.no_grad():
        return model.embedding(x).flatten(-2).to(dtype)


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
    inputs = model_inputs(model, x)
    task: Task = "regression" if spec.loss == "mse" else "classification"
    targets = y.to(inputs.dtype) if task == "regression" else y
    widths = circuit_net(model).widths
    return CircuitTask(inputs, targets, task, symbolic_ground_truth(dataset_name, widths))
