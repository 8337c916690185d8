"""Training and evaluating sequence models (the transformer) on a next-token task."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn

from subnetlab.data.sequence_task import SequenceTask
from subnetlab.methods.train.supervised_training import (
    TrainingReport,
    evaluate_logits,
    fit_minibatches,
)


def task_logits(model: nn.Module, inputs: torch.Tensor, predict: str) -> torch.Tensor:
    """Logits where the task is scored: (B, V) at the last position or (B·T, V) everywhere."""
    logits = model(inputs)
    if predict == "last":
        return logits[:, -1, :]
    return logits.reshape(-1, logits.shape[-1])


def evaluate(
    model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, predict: str, batch: int = 1024
) -> dict[str, float]:
    """Mean cross-entropy (nats per prediction) and accuracy of ``model`` on a split."""
    return evaluate_logits(
        model, inputs, targets, lambda m, x: task_logits(m, x, predict), batch=batch
    )


def train_sequence_model(
    model: nn.Module,
    task: SequenceTask,
    *,
    steps: int,
    batch_size: int,
    lr: float,
    weight_decay: float,
    warmup_steps: int,
    seed: int,
    parameters: Iterable[nn.Parameter] | None = None,
    on_step: Callable[[int, float], None] | None = None,
) -> TrainingReport:
    """``fit_minibatches`` on the train split, then the loss and accuracy of both splits.

    ``parameters``: what to train (default: all of the model's); the rest stays as it is.
    """
    fit_minibatches(
        model,
        task.train_inputs,
        task.train_targets,
        lambda m, x: task_logits(m, x, task.predict),
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        weight_decay=weight_decay,
        warmup_steps=warmup_steps,
        seed=seed,
        parameters=parameters,
        on_step=on_step,
    )
    train = evaluate(model, task.train_inputs, task.train_targets, task.predict)
    test = evaluate(model, task.test_inputs, task.test_targets, task.predict)
    return TrainingReport(train["loss"], train["accuracy"], test["loss"], test["accuracy"])
