"""Reading a LayeredNet off an nn.Sequential of Linear layers and one activation."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from subnetlab.models.layered import NotLayeredError, sequential_to_layered


def test_a_relu_sequential_becomes_the_same_function():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
    net = sequential_to_layered(model)
    assert net.widths == [6, 8, 8, 2] and net.activation == "relu"
    assert torch.equal(net.weights[1], model[2].weight.detach())
    x = torch.randn(5, 6)
    assert torch.allclose(net.forward(x), model(x), atol=1e-6)
    # copies: changing the module afterwards does not change the net
    with torch.no_grad():
        model[0].weight.zero_()
    assert net.weights[0].abs().sum() > 0


def test_nested_sequentials_and_bias_free_layers():
    torch.manual_seed(1)
    block = nn.Sequential(nn.Linear(3, 4, bias=False), nn.Tanh())
    model = nn.Sequential(block, nn.Linear(4, 2))
    net = sequential_to_layered(model)
    assert net.activation == "tanh" and torch.equal(net.biases[0], torch.zeros(4))
    x = torch.randn(3, 3)
    assert torch.allclose(net.forward(x), model(x), atol=1e-6)
    # one Linear layer is a layered net without activation
    assert sequential_to_layered(nn.Sequential(nn.Linear(3, 2))).widths == [3, 2]


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (nn.Linear(3, 2), "not an nn.Sequential"),
        (nn.Sequential(nn.Linear(3, 4), nn.Dropout(), nn.Linear(4, 2)), "layer 1 is a Dropout"),
        (nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2)), "layer 1 follows a Linear layer"),
        (nn.Sequential(nn.ReLU(), nn.Linear(3, 2)), r"layer 0 \(ReLU\) stands where a Linear"),
        (nn.Sequential(nn.Linear(3, 2), nn.ReLU()), r"the last layer \(1\) is an activation"),
        (
            nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 2)),
            r"mixes activations \['relu', 'tanh'\]",
        ),
        (nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(5, 2)), "layer 1 expects 5 inputs"),
        (nn.Sequential(nn.Linear(3, 4), nn.GELU("tanh"), nn.Linear(4, 2)), "tanh-approximated"),
        (nn.Sequential(), "no Linear layer"),
    ],
)
def test_anything_else_is_refused_naming_the_layer(model, message):
    with pytest.raises(NotLayeredError, match=message):
        sequential_to_layered(model)
