"""Supervised training shared by the sequence models and the image classifiers: AdamW on random
minibatches of a split with a warm-up-then-cosine learning rate, cross-entropy where the task is
scored, and the evaluation of both splits."""

from __future__ import annotations

import abc
import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from subnetlab.data.split import Split
from subnetlab.registry import build_model
from subnetlab.training.recipe import StepLoss, TrainingRecipe

# (model, inputs) -> logits (n, V) where the task is scored; targets flatten to (n,)
LogitsFn = Callable[[nn.Module, torch.Tensor], torch.Tensor]

ADAM_BETAS = (0.9, 0.98)


def plain_logits(model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """A classifier's own (B, V) output."""
    return model(inputs)


def warmup_cosine_lr(lr: float, step: int, steps: int, warmup_steps: int) -> float:
    """Linear warm-up over ``warmup_steps``, then cosine decay to 0 at ``steps``."""
    warm = min(1.0, (step + 1) / max(warmup_steps, 1))
    return lr * warm * 0.5 * (1.0 + math.cos(math.pi * step / steps))


def draw_minibatch(
    inputs: torch.Tensor, targets: torch.Tensor, batch_size: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """``min(batch_size, n)`` rows of (inputs, targets) drawn uniformly with replacement."""
    n = inputs.shape[0]
    idx = torch.randint(n, (min(batch_size, n),), generator=generator)
    return inputs[idx], targets[idx]


def scored_cross_entropy(
    model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, logits_fn: LogitsFn
) -> torch.Tensor:
    """Mean cross-entropy (nats per prediction) where the task is scored."""
    return F.cross_entropy(logits_fn(model, inputs), targets.reshape(-1))


@torch.no_grad()
def evaluate_logits(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    logits_fn: LogitsFn = plain_logits,
    batch: int = 1024,
) -> dict[str, float]:
    """Mean cross-entropy (nats per prediction) and accuracy of ``model`` on a split; the rows go
    to the model's device ``batch`` at a time."""
    was_training = model.training
    model.eval()
    device = next(iter(model.parameters()), torch.empty(0)).device
    total_loss, correct, count = 0.0, 0, 0
    for x, y in zip(inputs.split(batch), targets.split(batch), strict=True):
        logits = logits_fn(model, x.to(device))
        flat = y.to(device).reshape(-1)
        total_loss += float(F.cross_entropy(logits, flat, reduction="sum"))
        correct += int((logits.argmax(-1) == flat).sum())
        count += flat.numel()
    model.train(was_training)
    return {"loss": total_loss / count, "accuracy": correct / count}


class SupervisedTraining(TrainingRecipe):
    """AdamW (β = 0.9, 0.98) on random minibatches of the train split with cross-entropy; the lr
    warms up linearly over ``warmup_steps``, then decays along a cosine to 0 (a run then ends in
    a settled state rather than on one of the loss spikes strong weight decay causes at a constant
    lr). The network starts from ``torch.manual_seed(seed)``; the minibatch generator is seeded
    with ``seed + 1``. Subclasses give the split (checking the model fits it) and where the
    logits are scored."""

    def __init__(self, model_cfg: Any, dataset_cfg: Any, recipe_cfg: Any, seed: int) -> None:
        super().__init__(model_cfg, dataset_cfg, recipe_cfg, seed)
        self.split = self.load_split()
        torch.manual_seed(seed)
        self.module = build_model(model_cfg)
        self.data_state = torch.Generator().manual_seed(seed + 1).get_state()

    @abc.abstractmethod
    def load_split(self) -> Split:
        """The dataset's split; a ValueError naming the knob when the model cannot read it."""

    @abc.abstractmethod
    def logits(self, model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
        """(n, V) logits where the task is scored (the ``LogitsFn`` of this task)."""

    def draw(self, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        split = self.split
        return draw_minibatch(split.x_train, split.y_train, self.recipe_cfg.batch_size, generator)

    def optimizer(self) -> torch.optim.Optimizer:
        cfg = self.recipe_cfg
        return torch.optim.AdamW(
            self.module.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, betas=ADAM_BETAS
        )

    def lr_at(self, step: int) -> float:
        cfg = self.recipe_cfg
        return warmup_cosine_lr(cfg.lr, step, self.steps, cfg.warmup_steps)

    def loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> StepLoss:
        inputs, targets = batch
        return scored_cross_entropy(self.module, inputs, targets, self.logits), {}

    def finish(
        self, steps_done: int, generator: torch.Generator, device: torch.device
    ) -> tuple[nn.Module, dict[str, float]]:
        """The network and the loss and accuracy of both splits."""
        split = self.split
        train = evaluate_logits(self.module, split.x_train, split.y_train, self.logits)
        test = evaluate_logits(self.module, split.x_test, split.y_test, self.logits)
        report = {
            "train_loss": train["loss"],
            "train_accuracy": train["accuracy"],
            "test_loss": test["loss"],
            "test_accuracy": test["accuracy"],
        }
        return self.module, report
