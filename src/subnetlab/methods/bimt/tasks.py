"""BIMT's paper tasks as ready recipes: network, data and training settings per task.

Settings follow the BIMT notebooks (reference/bimt_acdc.md §1-2).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import torch

from subnetlab.data.modular_addition import modular_addition
from subnetlab.data.permutation_s4 import permutation_s4
from subnetlab.data.symbolic import SYMBOLIC_TASKS, symbolic_dataset
from subnetlab.data.tasks import TaskData
from subnetlab.data.two_moons import two_moons
from subnetlab.methods.bimt.connection_cost import CostSettings
from subnetlab.methods.bimt.schedule import LambdaSchedule
from subnetlab.methods.bimt.train_loop import THREE_PHASES, BimtSettings
from subnetlab.models.mlp import MLP

TASKS: tuple[str, ...] = (
    "independence",
    "feature_sharing",
    "compositionality",
    "two_moons",
    "modular_addition",
    "permutation_s4",
    "mnist",
)


def _symbolic(task: str, seed: int) -> tuple[MLP, TaskData, BimtSettings]:
    widths = {
        "independence": [4, 20, 20, 2],
        "feature_sharing": [3, 20, 20, 3],
        "compositionality": [4, 20, 20, 20, 20, 1],
    }[task]
    x_train, y_train, x_test, y_test = symbolic_dataset(task, 100, 100, seed)
    data = TaskData(
        x_train, y_train, x_test, y_test, report_shared=SYMBOLIC_TASKS[task].n_outputs > 1
    )
    phases = ((0.0, 1.0), (0.25, 3.0)) if task == "compositionality" else THREE_PHASES
    settings = BimtSettings(
        lambda_schedule=LambdaSchedule(1e-3, phases),
        cost=CostSettings(layer_gap=0.1, distance_weight=1.0, reduction="sum"),
        bias_penalty_start=0.75,
        swap_every=200,
        swap_top_k=5,
    )
    return MLP(widths), data, settings


def build_task(
    task: str, seed: int = 0, train_type: str = "bimt", data_dir: str | Path = "data"
) -> tuple[MLP, TaskData, BimtSettings]:
    """The (model, data, settings) of one paper task; ``seed`` sets data split and init."""
    if task not in TASKS:
        raise ValueError(f"task={task!r} is not supported; allowed: {list(TASKS)}")
    torch.manual_seed(seed)
    if task in SYMBOLIC_TASKS:
        model, data, settings = _symbolic(task, seed)
    elif task == "two_moons":
        x_train, y_train = two_moons(200, 0.1, seed)
        x_test, y_test = two_moons(200, 0.1, seed + 10_000)
        data = TaskData(x_train, y_train, x_test, y_test)
        settings = BimtSettings(
            steps=10_000,
            loss="cross_entropy",
            lambda_schedule=LambdaSchedule(1e-3, ((0.0, 1.0), (0.5, 10.0))),
            cost=CostSettings(layer_gap=0.2, distance_weight=1.0, reduction="sum"),
            swap_top_k=10,
        )
        model = MLP([2, 20, 20, 2])
    elif task in ("modular_addition", "permutation_s4"):
        if task == "modular_addition":
            x_train, y_train, x_test, y_test = modular_addition(59, 0.8, seed)
            vocab, schedule = 59, LambdaSchedule(0.1, THREE_PHASES)
            cost = CostSettings(layer_gap=0.5, distance_weight=2.0, reduction="mean")
            learning_rate = 1e-3
        else:
            x_train, y_train, x_test, y_test = permutation_s4(0.8, seed)
            vocab, schedule = 24, LambdaSchedule(1.0)
            cost = CostSettings(layer_gap=0.5, distance_weight=1.0, reduction="mean")
            learning_rate = 2e-3
        data = TaskData(x_train, y_train, x_test, y_test)
        settings = BimtSettings(
            learning_rate=learning_rate,
            loss="cross_entropy",
            lambda_schedule=schedule,
            cost=cost,
            swap_top_k=30,
        )
        model = MLP([64, 50, 50, vocab], vocab_size=vocab, embed_dim=32)
    else:
        from subnetlab.data.mnist_idx import load_mnist

        train_images, train_labels = load_mnist(data_dir, "train")
        test_images, test_labels = load_mnist(data_dir, "test")
        data = TaskData(train_images.flatten(1), train_labels, test_images.flatten(1), test_labels)
        settings = BimtSettings(
            steps=40_000,
            learning_rate=1e-3,
            batch_size=100,
            loss="mse_onehot",
            lambda_schedule=LambdaSchedule(0.01, ((0.0, 1.0), (0.25, 10.0), (0.5, 100.0))),
            cost=CostSettings(
                layer_gap=0.5, distance_weight=2.0, reduction="mean", exempt_last_layer=True
            ),
            swap_every=500,
            swap_top_k=30,
        )
        model = MLP([784, 100, 100, 10], geometry="grid", image_shape=(28, 28))
    return model, data, replace(settings, train_type=train_type)
