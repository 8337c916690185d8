import pytest
import torch

from subnetlab.data.tasks import TaskData
from subnetlab.methods.bimt.connection_cost import CostSettings
from subnetlab.methods.bimt.evaluation import evaluate, task_loss
from subnetlab.models.mlp import MLP


def test_mse_onehot_loss_by_hand():
    logits = torch.tensor([[1.0, 0.0], [0.5, 0.5]])
    labels = torch.tensor([0, 1])
    # errors: (0, 0), (0.5, -0.5) -> mean of squares = 0.5 / 4
    assert task_loss(logits, labels, "mse_onehot").item() == pytest.approx(0.125)


def test_the_report_of_a_classifier_by_hand():
    model = MLP([2, 2])
    with torch.no_grad():  # logits = x: the larger input wins
        model.linears[0].weight.copy_(torch.eye(2))
        model.linears[0].bias.zero_()
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [2.0, 1.0]])
    y = torch.tensor([0, 1, 0, 0])
    data = TaskData(x[:2], y[:2], x[2:], y[2:])
    cost = CostSettings(layer_gap=0.5, distance_weight=1.0)
    metrics = evaluate(model, data, "cross_entropy", cost)
    assert metrics["train_accuracy"] == 1.0 and metrics["test_accuracy"] == 0.5
    # log(1 + e^-1) on both train rows
    assert metrics["train_loss"] == pytest.approx(float(torch.log1p(torch.exp(torch.tensor(-1.0)))))
    # two weights of |1| on the diagonal; positions 0.25/0.75 line up, so each costs the gap
    assert metrics["connection_cost"] == pytest.approx(2 * 0.5)
    assert metrics["edges_above_5pct"] == 2 and metrics["total_edges"] == 4
    assert model.training
