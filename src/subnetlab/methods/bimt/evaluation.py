"""BIMT's task loss and its final report on a trained network (plain torch).

Liu et al. 2023, "Seeing is Believing: Brain-Inspired Modular Training for Mechanistic
Interpretability" (arXiv:2305.08746), §2: the task loss plus lambda times the connection cost is
minimised; the report gives the task losses, the connection cost and the structure of the weight
graph.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from subnetlab.data.tasks import TaskData, TaskLoss
from subnetlab.methods.bimt.connection_cost import CostSettings, connection_cost
from subnetlab.methods.bimt.metrics import structure_metrics
from subnetlab.models.mlp import MLP


def task_loss(prediction: torch.Tensor, target: torch.Tensor, loss: TaskLoss) -> torch.Tensor:
    """The task loss, a scalar; ``mse_onehot`` compares logits (n, C) with one-hot labels (n,)."""
    if loss == "mse":
        return F.mse_loss(prediction, target)
    if loss == "cross_entropy":
        return F.cross_entropy(prediction, target)
    onehot = F.one_hot(target, prediction.shape[-1]).to(prediction.dtype)
    return F.mse_loss(prediction, onehot)


def first_weight(model: MLP) -> torch.Tensor:
    """The first layer's weight: its dtype and device are the model's."""
    linear = model.linears[0]
    assert isinstance(linear, nn.Linear)
    return linear.weight


def model_inputs(x: torch.Tensor, model: MLP) -> torch.Tensor:
    """``x`` as the model takes it: features in its parameter dtype, token ids unchanged."""
    return x if model.embedding is not None else x.to(first_weight(model).dtype)


def model_targets(y: torch.Tensor, model: MLP) -> torch.Tensor:
    """``y`` as the loss takes it: regression targets in the model's dtype, labels unchanged."""
    return y.to(first_weight(model).dtype) if torch.is_floating_point(y) else y


@torch.no_grad()
def evaluate(model: MLP, data: TaskData, loss: TaskLoss, cost: CostSettings) -> dict[str, float]:
    """Test and train loss (and accuracy for classification), the connection cost with biases,
    and the weight graph's structure (``metrics.structure_metrics``). The model is left in
    training mode. Runs on the model's device."""
    device = first_weight(model).device
    model.eval()
    prediction = model(model_inputs(data.x_test, model).to(device))
    target = model_targets(data.y_test, model).to(device)
    metrics = {"test_loss": float(task_loss(prediction, target, loss))}
    train_prediction = model(model_inputs(data.x_train, model).to(device))
    train_target = model_targets(data.y_train, model).to(device)
    metrics["train_loss"] = float(task_loss(train_prediction, train_target, loss))
    if loss != "mse":
        metrics["test_accuracy"] = float((prediction.argmax(-1) == target).float().mean())
        metrics["train_accuracy"] = float(
            (train_prediction.argmax(-1) == train_target).float().mean()
        )
    metrics["connection_cost"] = float(connection_cost(model, cost, include_bias=True))
    net = model.to_layered_net(task_order=False)
    metrics.update(structure_metrics(net, with_shared=data.report_shared))
    model.train()
    return metrics
