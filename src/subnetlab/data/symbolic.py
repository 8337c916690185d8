"""BIMT's symbolic regression tasks: independence, feature sharing, compositionality."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from subnetlab.data.tasks import TaskData, TaskSource, TaskSpec
from subnetlab.registry import register_dataset
from subnetlab.schemas.bimt import SymbolicDatasetSchema


@dataclass(frozen=True)
class SymbolicTask:
    """A formula task; ``depends_on[o]`` lists the inputs output ``o`` is a function of."""

    name: str
    n_inputs: int
    formula: Callable[[torch.Tensor], torch.Tensor]
    depends_on: tuple[tuple[int, ...], ...]

    @property
    def n_outputs(self) -> int:
        return len(self.depends_on)


def _independence(x: torch.Tensor) -> torch.Tensor:
    return torch.stack(
        [(x[:, 0] + x[:, 2]) ** 3, x[:, 1] ** 2 + torch.sin(math.pi * x[:, 3])], dim=1
    )


def _feature_sharing(x: torch.Tensor) -> torch.Tensor:
    squares = x**2
    return torch.cumsum(squares, dim=1)


def _compositionality(x: torch.Tensor) -> torch.Tensor:
    return torch.sqrt((x[:, 0] - x[:, 1]) ** 2 + (x[:, 2] - x[:, 3]) ** 2).unsqueeze(1)


SYMBOLIC_TASKS: dict[str, SymbolicTask] = {
    "independence": SymbolicTask("independence", 4, _independence, ((0, 2), (1, 3))),
    "feature_sharing": SymbolicTask(
        "feature_sharing", 3, _feature_sharing, ((0,), (0, 1), (0, 1, 2))
    ),
    "compositionality": SymbolicTask("compositionality", 4, _compositionality, ((0, 1, 2, 3),)),
}


def symbolic_dataset(
    task: str, n_train: int = 100, n_test: int = 100, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Inputs uniform in [-1, 1]^n_inputs and the task's targets.

    Returns (x_train (n_train, n_in), y_train (n_train, n_out), x_test, y_test).
    """
    if task not in SYMBOLIC_TASKS:
        raise ValueError(f"task={task!r} is not supported; allowed: {sorted(SYMBOLIC_TASKS)}")
    if n_train < 1 or n_test < 1:
        raise ValueError(f"n_train={n_train} and n_test={n_test} must be >= 1")
    spec = SYMBOLIC_TASKS[task]
    generator = torch.Generator().manual_seed(seed)
    x = 2 * torch.rand(n_train + n_test, spec.n_inputs, generator=generator) - 1
    y = spec.formula(x)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def _register_symbolic(task: str) -> None:
    @register_dataset(f"symbolic_{task}", SymbolicDatasetSchema, produces=TaskSource)
    def build(cfg: SymbolicDatasetSchema) -> TaskSource:
        spec = SYMBOLIC_TASKS[task]

        def draw(seed: int) -> TaskSpec:
            x_tr, y_tr, x_te, y_te = symbolic_dataset(task, cfg.n_train, cfg.n_test, seed)
            data = TaskData(x_tr, y_tr, x_te, y_te, report_shared=spec.n_outputs > 1)
            return TaskSpec(data, "mse", spec.n_inputs, spec.n_outputs)

        return TaskSource(draw)


for _task in SYMBOLIC_TASKS:
    _register_symbolic(_task)
