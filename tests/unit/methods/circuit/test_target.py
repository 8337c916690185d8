"""The layered-MLP capability: which targets circuit discovery accepts and how inputs enter."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from subnetlab.methods.circuit.module import CircuitModule
from subnetlab.methods.circuit.target import circuit_net, layered_target, model_inputs
from subnetlab.methods.errors import TargetCapabilityError
from subnetlab.models.mlp import MLP
from subnetlab.models.tms import TMS
from subnetlab.models.transformer import Transformer


def _relu_sequential() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))


@pytest.mark.parametrize(
    "model", [MLP([6, 8, 8, 2], activation="relu"), _relu_sequential()], ids=["mlp", "sequential"]
)
def test_check_target_accepts_layered_mlps(model):
    CircuitModule.check_target(model, None)
    target = layered_target(model)
    x = torch.randn(4, 6)
    assert target.widths == [6, 8, 8, 2]
    assert torch.allclose(target.net.forward(target.encode(x)), model(x), atol=1e-6)
    assert target.drawing.widths == [6, 8, 8, 2]


def test_a_sequential_is_drawn_on_an_mlp_with_its_weights():
    model = _relu_sequential()
    drawing = layered_target(model).drawing
    assert torch.equal(drawing.linears[1].weight, model[2].weight)
    assert torch.equal(drawing.in_perm, torch.arange(6))  # never rearranged
    x = torch.randn(3, 6)
    assert torch.allclose(drawing(x), model(x), atol=1e-6)


@pytest.mark.parametrize(
    ("model", "reason"),
    [
        (TMS(5, 2), "a TMS is not an nn.Sequential"),
        (Transformer(8, 3, 16, 2, 32, 1), "a Transformer is not an nn.Sequential"),
        (nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2)), "layer 1 is a Sigmoid"),
        (nn.Sequential(nn.Conv1d(1, 2, 3)), r"layer 0 \(Conv1d\) stands where a Linear"),
    ],
)
def test_check_target_refuses_other_networks_saying_what_it_needs(model, reason):
    with pytest.raises(TargetCapabilityError, match="needs a layered MLP") as caught:
        CircuitModule.check_target(model, None)
    assert caught.match(reason) and "\n" not in str(caught.value)


def test_inputs_that_do_not_fit_are_one_line_errors():
    sequential = layered_target(_relu_sequential())
    with pytest.raises(
        ValueError, match=r"shape \(4, 5\); the target's first layer reads \(B, 6\)"
    ):
        sequential.encode(torch.zeros(4, 5))
    tokens = layered_target(MLP([4, 6, 5], vocab_size=5, embed_dim=2))
    with pytest.raises(ValueError, match="integer token ids"):
        tokens.encode(torch.zeros(3, 2))
    with pytest.raises(ValueError, match=r"token ids span 0..7; the embedding holds ids 0..4"):
        tokens.encode(torch.tensor([[0, 7]]))


def test_token_models_use_the_embedding_dimensions_as_inputs():
    torch.manual_seed(0)
    model = MLP([4, 6, 5], vocab_size=5, embed_dim=2)
    tokens = torch.tensor([[1, 3], [4, 0], [2, 2]])
    inputs = model_inputs(model, tokens)
    table = model.embedding.weight.detach()
    # node t * embed_dim + d holds dimension d of token t's embedding
    assert inputs.shape == (3, 4)
    assert torch.equal(inputs[0], torch.cat([table[1], table[3]]))
    net = circuit_net(model)
    # edges are the MLP's weights only: 4 * 6 + 6 * 5, the table is not wiring
    assert net.widths == [4, 6, 5] and torch.equal(net.weights[0], model.linears[0].weight)
    assert torch.allclose(net.forward(inputs), model(tokens), atol=1e-6)


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
