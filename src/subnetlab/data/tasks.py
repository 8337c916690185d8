"""The BIMT task datasets as train/test tensors, built from a dataset config."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import torch

from subnetlab.data.step_batches import step_generator
from subnetlab.registry import build_dataset, datasets_producing

TaskLoss = Literal["mse", "cross_entropy", "mse_onehot"]


@dataclass
class TaskData:
    """Train and test tensors of one task.

    x: (n, n_inputs) float features or (n, n_tokens) long token ids; y: (n, n_outputs) float
    targets (regression) or (n,) long labels (classification).
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    #: count hidden neurons shared by the outputs' sub-circuits (multi-output symbolic tasks)
    report_shared: bool = False


@dataclass
class TaskSpec:
    """What the network must look like for a task and which loss BIMT uses on it."""

    data: TaskData
    loss: TaskLoss
    n_inputs: int  # features, or tokens per example for token tasks
    n_outputs: int
    vocab_size: int | None = None  # set for token tasks


@dataclass(frozen=True)
class TaskSource:
    """A task dataset whose examples depend on the run's seed (they are sampled, or split, with
    it): ``draw(seed)`` gives the task. Task datasets register builders producing one."""

    draw: Callable[[int], TaskSpec]


def task_datasets() -> list[str]:
    """The registered task datasets (BIMT's tasks; circuit discovery's with ground truth)."""
    return datasets_producing(TaskSource)


def build_task_data(dataset_cfg: Any, seed: int) -> TaskSpec:
    """The task's tensors for ``seed`` (its sampling and train/test split). Raises a ConfigError
    on ``dataset.name`` naming the task datasets when the dataset is not one, and whatever the
    dataset's builder raises (e.g. missing MNIST files: a ConfigError on ``dataset.data_dir``)."""
    return build_dataset(dataset_cfg, TaskSource).draw(seed)


class TaskBatches:
    """Training batches of a task, one per optimiser step, depending only on (seed, step).

    ``batch_size=None``: the whole training split at every step (full-batch training). Otherwise
    step ``t`` draws ``batch_size`` examples with replacement using ``step_generator(seed, t)``,
    so a resumed run sees the batches an uninterrupted one would. ``start`` is read when
    iteration begins (the trainer's global step on resume).

    Yields (x, y): x (batch, n_inputs) features or (batch, n_tokens) token ids, y the targets.
    """

    def __init__(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        batch_size: int | None,
        seed: int,
        start: Callable[[], int],
    ) -> None:
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size={batch_size} must be null (full batch) or >= 1")
        self.x, self.y, self.batch_size, self.seed, self.start = x, y, batch_size, seed, start

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        if self.batch_size is None:
            while True:
                yield self.x, self.y
        step = self.start()
        while True:
            generator = step_generator(self.seed, step)
            index = torch.randint(0, len(self.x), (self.batch_size,), generator=generator)
            yield self.x[index], self.y[index]
            step += 1


class LayeredInput(Protocol):
    """What the fit check reads of a layered network (``models.mlp.MLP`` has these)."""

    widths: list[int]
    n_tokens: int
    embedding: torch.nn.Embedding | None


def check_model_fits_task(model: LayeredInput, spec: TaskSpec) -> None:
    """Raise a ValueError naming the widths a task needs when ``model`` does not fit it."""
    if spec.vocab_size is not None:
        if model.embedding is None or model.embedding.num_embeddings != spec.vocab_size:
            raise ValueError(
                f"this token task needs model.vocab_size={spec.vocab_size} (and embed_dim), got "
                f"vocab_size={model.embedding.num_embeddings if model.embedding else None}"
            )
        if model.n_tokens != spec.n_inputs:
            raise ValueError(
                f"this task has {spec.n_inputs} tokens per example: model.widths[0] must be "
                f"{spec.n_inputs} * embed_dim, got {model.widths[0]}"
            )
    elif model.embedding is not None or model.widths[0] != spec.n_inputs:
        raise ValueError(
            f"this task has {spec.n_inputs} input features: model.widths[0] must be "
            f"{spec.n_inputs} without an embedding, got widths={model.widths}"
        )
    if model.widths[-1] != spec.n_outputs:
        raise ValueError(
            f"this task has {spec.n_outputs} outputs: model.widths[-1] must be {spec.n_outputs}, "
            f"got widths={model.widths}"
        )
