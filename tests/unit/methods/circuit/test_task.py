"""Task data and ground truth in the layered net's input space."""

from __future__ import annotations

import pytest
import torch

from subnetlab.methods.bimt.task_data import build_task_data
from subnetlab.methods.circuit.task import circuit_task, symbolic_ground_truth
from subnetlab.models.mlp import MLP
from subnetlab.schemas.bimt import ModularAdditionDatasetSchema, SymbolicDatasetSchema


def test_independence_truth_is_the_formula_dependencies():
    truth = symbolic_ground_truth("symbolic_independence", [4, 20, 20, 2])
    assert truth is not None
    assert truth.nodes[0].tolist() == [[True, False, True, False], [False, True, False, True]]
    assert truth.nodes[1:] == [None, None]


def test_feature_sharing_truth_and_tasks_without_a_usable_truth():
    truth = symbolic_ground_truth("symbolic_feature_sharing", [3, 10, 3])
    assert truth is not None
    assert truth.nodes[0].int().tolist() == [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    # compositionality's one output uses all four inputs: no negatives to score
    assert symbolic_ground_truth("symbolic_compositionality", [4, 10, 1]) is None
    assert symbolic_ground_truth("two_moons", [2, 10, 2]) is None


def test_regression_examples_come_from_the_split():
    cfg = SymbolicDatasetSchema(name="symbolic_independence", n_train=20, n_test=30)
    spec = build_task_data(cfg, seed=3)
    task = circuit_task(spec, cfg.name, MLP([4, 5, 2]), n_examples=8, split="train")
    assert task.task == "regression" and task.inputs.shape == (8, 4)
    assert torch.equal(task.inputs, spec.data.x_train[:8])
    x0, x2 = task.inputs[:, 0], task.inputs[:, 2]
    assert torch.allclose(task.targets[:, 0], (x0 + x2) ** 3)
    # more examples than the split holds: all of them
    assert circuit_task(spec, cfg.name, MLP([4, 5, 2]), 100, "test").inputs.shape == (30, 4)
    with pytest.raises(ValueError, match="split"):
        circuit_task(spec, cfg.name, MLP([4, 5, 2]), 8, "val")


def test_token_tasks_use_one_hot_inputs():
    cfg = ModularAdditionDatasetSchema(p=5, train_fraction=0.6)
    spec = build_task_data(cfg, seed=0)
    model = MLP([4, 6, 5], vocab_size=5, embed_dim=2)
    task = circuit_task(spec, cfg.name, model, 10, "test")
    assert task.task == "classification" and task.truth is None
    assert task.inputs.shape == (10, 10) and task.inputs.sum(dim=1).tolist() == [2.0] * 10
    # the layered net on one-hot inputs computes what the model computes on the tokens
    net = model.to_layered_net(task_order=True)
    tokens = spec.data.x_test[:10]
    assert torch.allclose(net.forward(task.inputs), model(tokens), atol=1e-5)
