from dataclasses import replace

import pytest
import torch

from subnetlab.data.tasks import TaskData
from subnetlab.methods.bimt.connection_cost import CostSettings
from subnetlab.methods.bimt.schedule import LambdaSchedule
from subnetlab.methods.bimt.train_loop import BimtSettings, task_loss, train_bimt
from subnetlab.methods.bimt.training_regime import TRAIN_TYPES
from subnetlab.models.mlp import MLP


def _regression_data() -> TaskData:
    generator = torch.Generator().manual_seed(0)
    x = 2 * torch.rand(64, 3, generator=generator) - 1
    y = torch.stack([x[:, 0] ** 2, x[:, 1] - x[:, 2]], dim=1)
    return TaskData(x[:48], y[:48], x[48:], y[48:], report_shared=True)


def _small_settings(**overrides) -> BimtSettings:
    base = BimtSettings(
        steps=60,
        learning_rate=1e-2,
        lambda_schedule=LambdaSchedule(1e-3, ((0.0, 1.0), (0.5, 10.0))),
        cost=CostSettings(layer_gap=0.1, distance_weight=1.0),
        swap_every=20,
        swap_top_k=3,
        log_every=20,
    )
    return replace(base, **overrides)


@pytest.mark.parametrize("train_type", TRAIN_TYPES)
def test_every_train_type_trains_and_reports(train_type):
    torch.manual_seed(0)
    model = MLP([3, 8, 8, 2])
    data = _regression_data()
    with torch.no_grad():
        start = task_loss(model(data.x_train), data.y_train, "mse").item()
    result = train_bimt(model, data, _small_settings(train_type=train_type))
    assert result.metrics["train_loss"] < start
    assert {
        "test_loss",
        "connection_cost",
        "edges_above_5pct",
        "alive_neurons",
        "shared_hidden_neurons",
        "connected_components",
    } <= set(result.metrics)
    swaps = sum(row["swaps"] for row in result.history)
    lambdas = [row["lambda"] for row in result.history]
    if train_type in ("l1_swap", "bimt"):
        assert swaps > 0
    else:
        assert swaps == 0
    if train_type == "vanilla":
        assert lambdas == [0.0, 0.0, 0.0]
    else:
        assert lambdas == pytest.approx([1e-3, 1e-2, 1e-2])  # logged at steps 20, 40, 60


def test_penalty_shrinks_the_connection_cost():
    data = _regression_data()
    costs = {}
    for train_type in ("vanilla", "l1"):
        torch.manual_seed(1)
        model = MLP([3, 8, 8, 2])
        settings = _small_settings(train_type=train_type, lambda_schedule=LambdaSchedule(3e-2))
        costs[train_type] = train_bimt(model, data, settings).metrics["connection_cost"]
    assert costs["l1"] < 0.8 * costs["vanilla"]


def test_swaps_during_training_keep_the_function_of_the_returned_model():
    torch.manual_seed(2)
    model = MLP([3, 6, 2])
    data = _regression_data()
    result = train_bimt(model, data, _small_settings(steps=40, swap_every=40))
    with torch.no_grad():
        direct = task_loss(model(data.x_test), data.y_test, "mse").item()
        via_net = task_loss(model.to_layered_net().forward(data.x_test), data.y_test, "mse").item()
    assert result.metrics["test_loss"] == pytest.approx(direct)
    assert via_net == pytest.approx(direct, rel=1e-5)


def test_classification_with_embedding_minibatches_and_callback():
    torch.manual_seed(3)
    p = 5
    tokens = torch.cartesian_prod(torch.arange(p), torch.arange(p))
    labels = tokens.sum(1) % p
    data = TaskData(tokens, labels, tokens, labels)
    model = MLP([8, 12, p], vocab_size=p, embed_dim=4)
    calls = []
    settings = _small_settings(
        loss="cross_entropy",
        batch_size=10,
        steps=50,
        log_every=25,
        cost=CostSettings(0.5, 2.0, "mean"),
    )
    result = train_bimt(model, data, settings, on_log=lambda s, m, row: calls.append(s))
    assert calls == [25, 50]
    assert 0.0 <= result.metrics["test_accuracy"] <= 1.0
    assert "shared_hidden_neurons" not in result.metrics


def test_mse_onehot_loss_by_hand():
    logits = torch.tensor([[1.0, 0.0], [0.5, 0.5]])
    labels = torch.tensor([0, 1])
    # errors: (0, 0), (0.5, -0.5) -> mean of squares = 0.5 / 4
    assert task_loss(logits, labels, "mse_onehot").item() == pytest.approx(0.125)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"train_type": "l3"}, "train_type"),
        ({"steps": 0}, "steps"),
        ({"loss": "hinge"}, "loss"),
        ({"bias_penalty_start": 1.5}, "bias_penalty_start"),
    ],
)
def test_bad_settings_raise(overrides, message):
    with pytest.raises(ValueError, match=message):
        BimtSettings(**overrides)
