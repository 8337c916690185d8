"""The BIMT task datasets as train/test tensors, built from a dataset config."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import torch

from subnetlab.data.mnist_idx import load_mnist
from subnetlab.data.modular_addition import modular_addition
from subnetlab.data.permutation_s4 import permutation_s4
from subnetlab.data.step_batches import step_generator
from subnetlab.data.symbolic import SYMBOLIC_TASKS, symbolic_dataset
from subnetlab.data.two_moons import two_moons
from subnetlab.schemas.base import ConfigError

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


#: the datasets ``build_task_data`` serves (BIMT's tasks; circuit discovery's with ground truth)
TASK_DATASETS = (
    "symbolic_independence",
    "symbolic_feature_sharing",
    "symbolic_compositionality",
    "two_moons",
    "modular_addition",
    "permutation_s4",
    "mnist",
)


def build_task_data(dataset_cfg: Any, seed: int) -> TaskSpec:
    """Tensors of the configured dataset (``dataset_cfg.name`` picks the task); ``seed`` sets
    the sampling and the train/test split. Missing MNIST files (not downloadable) raise a
    ConfigError naming ``dataset.data_dir`` and the files."""
    name = dataset_cfg.name
    if name.startswith("symbolic_"):
        task = name.removeprefix("symbolic_")
        x_tr, y_tr, x_te, y_te = symbolic_dataset(
            task, dataset_cfg.n_train, dataset_cfg.n_test, seed
        )
        spec = SYMBOLIC_TASKS[task]
        data = TaskData(x_tr, y_tr, x_te, y_te, report_shared=spec.n_outputs > 1)
        return TaskSpec(data, "mse", spec.n_inputs, spec.n_outputs)
    if name == "two_moons":
        x_tr, y_tr = two_moons(dataset_cfg.n_train, dataset_cfg.noise, seed)
        x_te, y_te = two_moons(dataset_cfg.n_test, dataset_cfg.noise, seed + 1_000_003)
        return TaskSpec(TaskData(x_tr, y_tr, x_te, y_te), "cross_entropy", 2, 2)
    if name == "modular_addition":
        p = dataset_cfg.p
        tensors = modular_addition(p, dataset_cfg.train_fraction, seed)
        return TaskSpec(TaskData(*tensors), "cross_entropy", 2, p, vocab_size=p)
    if name == "permutation_s4":
        tensors = permutation_s4(dataset_cfg.train_fraction, seed)
        return TaskSpec(TaskData(*tensors), "cross_entropy", 2, 24, vocab_size=24)
    if name == "mnist":
        try:
            x_tr, y_tr = load_mnist(dataset_cfg.data_dir, "train", dataset_cfg.download)
            x_te, y_te = load_mnist(dataset_cfg.data_dir, "test", dataset_cfg.download)
        except FileNotFoundError as err:  # files the user must supply: a config problem
            raise ConfigError(
                "dataset.data_dir", dataset_cfg.data_dir, f"a folder with the data: {err}"
            ) from err
        data = TaskData(x_tr.flatten(1), y_tr, x_te.flatten(1), y_te)
        return TaskSpec(data, "mse_onehot", x_tr.shape[1] * x_tr.shape[2], 10)
    raise ValueError(f"dataset={name!r} is not a BIMT task; allowed: {', '.join(TASK_DATASETS)}")


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
