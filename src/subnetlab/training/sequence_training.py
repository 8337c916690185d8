"""Training and evaluating sequence models (the transformer) on a next-token task."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn

from subnetlab.data.sequence_task import SequenceTask
from subnetlab.schemas.models import SupervisedRecipe
from subnetlab.training.supervised_training import (
    LogitsFn,
    TrainingReport,
    evaluate_logits,
    fit_and_score,
)


def task_logits(model: nn.Module, inputs: torch.Tensor, predict: str) -> torch.Tensor:
    """Logits where the task is scored: (B, V) at the last position or (B·T, V) everywhere."""
    logits = model(inputs)
    if predict == "last":
        return logits[:, -1, :]
    return logits.reshape(-1, logits.shape[-1])


def logits_where_scored(predict: str) -> LogitsFn:
    """``task_logits`` for one kind of task, as the supervised loop's logits function."""
    return lambda model, inputs: task_logits(model, inputs, predict)


def evaluate(
    model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, predict: str, batch: int = 1024
) -> dict[str, float]:
    """Mean cross-entropy (nats per prediction) and accuracy of ``model`` on a split."""
    return evaluate_logits(model, inputs, targets, logits_where_scored(predict), batch=batch)


def train_sequence_model(
    model: nn.Module,
    task: SequenceTask,
    recipe: SupervisedRecipe,
    seed: int,
    parameters: Iterable[nn.Parameter] | None = None,
    on_step: Callable[[int, float], None] | None = None,
) -> TrainingReport:
    """``model`` trained on the task's train split as ``recipe`` says, scored on both splits.

    ``parameters``: what to train (default: all of the model's); the rest stays as it is.
    """
    return fit_and_score(
        model,
        (task.train_inputs, task.train_targets),
        (task.test_inputs, task.test_targets),
        recipe,
        seed,
        logits_where_scored(task.predict),
        parameters,
        on_step,
    )
