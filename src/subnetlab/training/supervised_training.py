"""The supervised training loop shared by the sequence models and the image classifiers: AdamW
on random minibatches with a warm-up-then-cosine learning rate, and cross-entropy evaluation."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from subnetlab.schemas.models import SupervisedRecipe

# (model, inputs) -> logits (n, V) where the task is scored; targets flatten to (n,)
LogitsFn = Callable[[nn.Module, torch.Tensor], torch.Tensor]


@dataclass
class TrainingReport:
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float


def plain_logits(model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """A classifier's own (B, V) output."""
    return model(inputs)


def warmup_cosine_lr(lr: float, step: int, steps: int, warmup_steps: int) -> float:
    """Linear warm-up over ``warmup_steps``, then cosine decay to 0 at ``steps``."""
    warm = min(1.0, (step + 1) / max(warmup_steps, 1))
    return lr * warm * 0.5 * (1.0 + math.cos(math.pi * step / steps))


@torch.no_grad()
def evaluate_logits(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    logits_fn: LogitsFn = plain_logits,
    batch: int = 1024,
) -> dict[str, float]:
    """Mean cross-entropy (nats per prediction) and accuracy of ``model`` on a split."""
    was_training = model.training
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    for x, y in zip(inputs.split(batch), targets.split(batch), strict=True):
        logits = logits_fn(model, x)
        flat = y.reshape(-1)
        total_loss += float(F.cross_entropy(logits, flat, reduction="sum"))
        correct += int((logits.argmax(-1) == flat).sum())
        count += flat.numel()
    model.train(was_training)
    return {"loss": total_loss / count, "accuracy": correct / count}


def fit_minibatches(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    recipe: SupervisedRecipe,
    seed: int,
    logits_fn: LogitsFn = plain_logits,
    parameters: Iterable[nn.Parameter] | None = None,
    on_step: Callable[[int, float], None] | None = None,
) -> None:
    """AdamW (β = 0.9, 0.98) on random minibatches of (inputs, targets) with cross-entropy, as
    ``recipe`` says; the lr warms up linearly over ``recipe.warmup_steps``, then decays along a
    cosine to 0 (a run then ends in a settled state rather than on one of the loss spikes strong
    weight decay causes at a constant lr). ``parameters``: what to train (default: all)."""
    gen = torch.Generator().manual_seed(seed + 1)
    params = list(model.parameters() if parameters is None else parameters)
    opt = torch.optim.AdamW(
        params, lr=recipe.lr, weight_decay=recipe.weight_decay, betas=(0.9, 0.98)
    )
    n_train = inputs.shape[0]
    model.train()
    for step in range(recipe.steps):
        for group in opt.param_groups:
            group["lr"] = warmup_cosine_lr(recipe.lr, step, recipe.steps, recipe.warmup_steps)
        idx = torch.randint(n_train, (min(recipe.batch_size, n_train),), generator=gen)
        loss = F.cross_entropy(logits_fn(model, inputs[idx]), targets[idx].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if on_step is not None:
            on_step(step, float(loss.detach()))
    model.eval()


def fit_and_score(
    model: nn.Module,
    train: tuple[torch.Tensor, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor],
    recipe: SupervisedRecipe,
    seed: int,
    logits_fn: LogitsFn = plain_logits,
    parameters: Iterable[nn.Parameter] | None = None,
    on_step: Callable[[int, float], None] | None = None,
) -> TrainingReport:
    """``fit_minibatches`` on the (inputs, targets) of ``train``, then both splits' loss and
    accuracy."""
    fit_minibatches(model, *train, recipe, seed, logits_fn, parameters, on_step)
    train_scores = evaluate_logits(model, *train, logits_fn)
    test_scores = evaluate_logits(model, *test, logits_fn)
    return TrainingReport(
        train_scores["loss"],
        train_scores["accuracy"],
        test_scores["loss"],
        test_scores["accuracy"],
    )
