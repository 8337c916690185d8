"""A plain-torch BIMT training loop and the final report (no Lightning)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from subnetlab.data.tasks import TaskData, TaskLoss
from subnetlab.methods.bimt.connection_cost import ConnectionCost, CostSettings, connection_cost
from subnetlab.methods.bimt.metrics import structure_metrics
from subnetlab.methods.bimt.schedule import LambdaSchedule, start_step
from subnetlab.methods.bimt.swaps import relocate
from subnetlab.methods.bimt.training_regime import TrainingRegime
from subnetlab.models.mlp import MLP

THREE_PHASES: tuple[tuple[float, float], ...] = ((0.0, 1.0), (0.25, 10.0), (0.75, 1.0))


@dataclass
class BimtSettings:
    """Everything a BIMT run needs besides the model and the data."""

    train_type: str = "bimt"
    steps: int = 20000
    learning_rate: float = 2e-3
    weight_decay: float = 0.0
    batch_size: int | None = None  # None: full batch
    loss: TaskLoss = "mse"
    lambda_schedule: LambdaSchedule = field(
        default_factory=lambda: LambdaSchedule(1e-3, THREE_PHASES)
    )
    cost: CostSettings = field(default_factory=CostSettings)
    bias_penalty_start: float = 0.0  # fraction of training after which biases are penalised
    swap_every: int = 200
    swap_top_k: int = 5
    log_every: int = 200

    def __post_init__(self) -> None:
        TrainingRegime.from_name(self.train_type)
        if self.steps < 1 or self.swap_every < 1 or self.swap_top_k < 1 or self.log_every < 1:
            raise ValueError(
                f"steps={self.steps}, swap_every={self.swap_every}, swap_top_k={self.swap_top_k}"
                f" and log_every={self.log_every} must all be >= 1"
            )
        if self.loss not in ("mse", "cross_entropy", "mse_onehot"):
            raise ValueError(
                f"loss={self.loss!r} is not supported; allowed: mse, cross_entropy, mse_onehot"
            )
        if not 0 <= self.bias_penalty_start <= 1:
            raise ValueError(f"bias_penalty_start={self.bias_penalty_start} must be in [0, 1]")


@dataclass
class TrainResult:
    metrics: dict[str, float]
    history: list[dict[str, float]]
    wall_time_s: float


def task_loss(prediction: torch.Tensor, target: torch.Tensor, loss: TaskLoss) -> torch.Tensor:
    """The task loss; ``mse_onehot`` compares logits (n, C) with one-hot labels (n,)."""
    if loss == "mse":
        return F.mse_loss(prediction, target)
    if loss == "cross_entropy":
        return F.cross_entropy(prediction, target)
    onehot = F.one_hot(target, prediction.shape[-1]).to(prediction.dtype)
    return F.mse_loss(prediction, onehot)


def _prepare(x: torch.Tensor, model: MLP) -> torch.Tensor:
    return x if model.embedding is not None else x.to(model.linears[0].weight.dtype)


def _target(y: torch.Tensor, model: MLP) -> torch.Tensor:
    return y if not torch.is_floating_point(y) else y.to(model.linears[0].weight.dtype)


@torch.no_grad()
def evaluate(model: MLP, data: TaskData, settings: BimtSettings) -> dict[str, float]:
    """Final report: test loss (and accuracy), connection cost, graph structure."""
    model.eval()
    prediction = model(_prepare(data.x_test, model))
    target = _target(data.y_test, model)
    metrics = {"test_loss": float(task_loss(prediction, target, settings.loss))}
    train_prediction = model(_prepare(data.x_train, model))
    metrics["train_loss"] = float(
        task_loss(train_prediction, _target(data.y_train, model), settings.loss)
    )
    if settings.loss != "mse":
        metrics["test_accuracy"] = float((prediction.argmax(-1) == target).float().mean())
        metrics["train_accuracy"] = float(
            (train_prediction.argmax(-1) == data.y_train).float().mean()
        )
    metrics["connection_cost"] = float(connection_cost(model, settings.cost, include_bias=True))
    net = model.to_layered_net(task_order=False)
    metrics.update(structure_metrics(net, with_shared=data.report_shared))
    model.train()
    return metrics


def train_bimt(
    model: MLP,
    data: TaskData,
    settings: BimtSettings,
    seed: int = 0,
    on_log: Callable[[int, MLP, dict[str, float]], None] | None = None,
) -> TrainResult:
    """Train ``model`` with the ``settings.train_type`` regime, then report on the test set.

    The loss is task loss + lambda(step) * connection cost; the penalty's (sub)gradient is added
    in closed form after the task loss's backward pass.

    ``on_log(step, model, row)`` is called every ``log_every`` steps (for pictures and logging).
    """
    regime = TrainingRegime.from_name(settings.train_type)
    cost_settings = regime.training_cost(settings.cost)
    penalty = ConnectionCost(model, cost_settings) if cost_settings is not None else None
    optimizer = torch.optim.AdamW(
        model.parameters(),
        lr=settings.learning_rate,
        weight_decay=settings.weight_decay,
        fused=True,
    )
    generator = torch.Generator().manual_seed(seed)
    x_train = _prepare(data.x_train, model)
    y_train = _target(data.y_train, model)
    bias_start = start_step(settings.bias_penalty_start, settings.steps)
    history: list[dict[str, float]] = []
    started = time.perf_counter()
    for step in range(settings.steps):
        if settings.batch_size is None:
            x_batch, y_batch = x_train, y_train
        else:
            index = torch.randint(0, x_train.shape[0], (settings.batch_size,), generator=generator)
            x_batch, y_batch = x_train[index], y_train[index]
        loss = task_loss(model(x_batch), y_batch, settings.loss)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        lam = 0.0
        if penalty is not None:
            lam = settings.lambda_schedule.value(step, settings.steps)
            penalty.add_gradient_(model, lam, include_bias=step >= bias_start)
        optimizer.step()
        swaps = 0
        if regime.swap and (step + 1) % settings.swap_every == 0:
            swaps = relocate(model, settings.cost, settings.swap_top_k, optimizer)
        if (step + 1) % settings.log_every == 0 or step == settings.steps - 1:
            row = {
                "step": float(step + 1),
                "loss": float(loss.detach()),
                "lambda": lam,
                "training_cost": float(penalty.value(model, step >= bias_start).detach())
                if penalty is not None
                else 0.0,
                "swaps": float(swaps),
            }
            history.append(row)
            if on_log is not None:
                on_log(step + 1, model, row)
    wall = time.perf_counter() - started
    metrics = evaluate(model, data, settings)
    metrics["wall_time_s"] = wall
    return TrainResult(metrics=metrics, history=history, wall_time_s=wall)
