"""Training and evaluating sequence models (the transformer) on a next-token task."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from subnetlab.data.sequence_task import SequenceTask


@dataclass
class SequenceTrainingReport:
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float


def task_logits(model: nn.Module, inputs: torch.Tensor, predict: str) -> torch.Tensor:
    """Logits where the task is scored: (B, V) at the last position or (B·T, V) everywhere."""
    logits = model(inputs)
    if predict == "last":
        return logits[:, -1, :]
    return logits.reshape(-1, logits.shape[-1])


@torch.no_grad()
def evaluate(
    model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, predict: str, batch: int = 1024
) -> dict[str, float]:
    """Mean cross-entropy (nats per prediction) and accuracy of ``model`` on a split."""
    was_training = model.training
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    for x, y in zip(inputs.split(batch), targets.split(batch), strict=True):
        logits = task_logits(model, x, predict)
        flat = y.reshape(-1)
        total_loss += float(F.cross_entropy(logits, flat, reduction="sum"))
        correct += int((logits.argmax(-1) == flat).sum())
        count += flat.numel()
    model.train(was_training)
    return {"loss": total_loss / count, "accuracy": correct / count}


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
) -> SequenceTrainingReport:
    """AdamW (β = 0.9, 0.98) on random minibatches of the train split; lr warmed up linearly
    over ``warmup_steps``, then cosine-decayed to 0 (a run then ends in a settled state rather
    than on one of the loss spikes that strong weight decay causes at constant lr).

    ``parameters``: what to train (default: all of the model's); the rest stays as it is.
    """
    gen = torch.Generator().manual_seed(seed + 1)
    params = list(model.parameters() if parameters is None else parameters)
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, betas=(0.9, 0.98))
    n_train = task.train_inputs.shape[0]
    model.train()
    for step in range(steps):
        for group in opt.param_groups:
            warm = min(1.0, (step + 1) / max(warmup_steps, 1))
            group["lr"] = lr * warm * 0.5 * (1.0 + math.cos(math.pi * step / steps))
        idx = torch.randint(n_train, (min(batch_size, n_train),), generator=gen)
        logits = task_logits(model, task.train_inputs[idx], task.predict)
        loss = F.cross_entropy(logits, task.train_targets[idx].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if on_step is not None:
            on_step(step, float(loss.detach()))
    model.eval()
    train = evaluate(model, task.train_inputs, task.train_targets, task.predict)
    test = evaluate(model, task.test_inputs, task.test_targets, task.predict)
    return SequenceTrainingReport(train["loss"], train["accuracy"], test["loss"], test["accuracy"])
