"""Task data and ground truth in the layered net's input space."""

from __future__ import annotations

import pytest
import torch

from subnetlab.data.tasks import build_task_data
from subnetlab.methods.circuit.task import (
    circuit_net,
    circuit_task,
    model_inputs,
    symbolic_ground_truth,
)
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


def test_token_tasks_use_the_embedding_dimensions_as_inputs():
    cfg = ModularAdditionDatasetSchema(p=5, train_fraction=0.6)
    spec = build_task_data(cfg, seed=0)
    torch.manual_seed(0)
    model = MLP([4, 6, 5], vocab_size=5, embed_dim=2)
    task = circuit_task(spec, cfg.name, model, 10, "test")
    assert task.task == "classification" and task.truth is None
    tokens = spec.data.x_test[:10]
    table = model.embedding.weight.detach()
    # node t * embed_dim + d holds dimension d of token t's embedding
    assert task.inputs.shape == (10, 4)
    assert torch.equal(task.inputs[3], torch.cat([table[tokens[3, 0]], table[tokens[3, 1]]]))
    net = circuit_net(model)
    # edges are the MLP's weights only: 4 * 6 + 6 * 5, the table is not wiring
    assert net.widths == [4, 6, 5] and torch.equal(net.weights[0], model.linears[0].weight)
    assert torch.allclose(net.forward(task.inputs), model(tokens), atol=1e-6)


def test_a_one_layer_token_net_keeps_its_outputs_in_task_order():
    torch.manual_seed(1)
    model = MLP([4, 3], vocab_size=5, embed_dim=2)
    model.out_perm.copy_(torch.tensor([2, 0, 1]))
    tokens = torch.tensor([[0, 4], [3, 1], [2, 2]])
    net = circuit_net(model)
    assert torch.allclose(net.forward(model_inputs(model, tokens)), model(tokens), atol=1e-6)
    # a feature model's inputs are its features as floats
    plain = MLP([2, 3])
    assert model_inputs(plain, torch.tensor([[1, 2]])).dtype == plain.linears[0].weight.dtype
