"""The clean examples and known circuit of a task dataset (``data/tasks.py``: the symbolic
formulas, two moons, modular addition, permutations, MNIST)."""

from __future__ import annotations

import torch

from subnetlab.data.symbolic import SYMBOLIC_TASKS
from subnetlab.data.tasks import TaskSpec

from .examples import CircuitExamples
from .ground_truth import GroundTruth


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


def task_examples(spec: TaskSpec, split: str, probe_size: int) -> CircuitExamples:
    """The first ``probe_size`` examples of ``split`` (train or test); regression targets are
    floats, class labels (also of one-hot MSE training) stay integers."""
    if split not in ("train", "test"):
        raise ValueError(f"split={split!r} is not supported; allowed: ['train', 'test']")
    data = spec.data
    x = (data.x_train if split == "train" else data.x_test)[:probe_size]
    y = (data.y_train if split == "train" else data.y_test)[:probe_size]
    if spec.loss == "mse":
        return CircuitExamples(x, y.to(torch.get_default_dtype()))
    return CircuitExamples(x, y.long())
