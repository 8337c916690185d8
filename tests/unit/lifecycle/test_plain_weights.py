"""A user's plain state dict loads into the configured architecture, or says what is wrong."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from subnetlab.lifecycle.plain_weights import complete_state_dict, is_plain_state_dict
from subnetlab.models.mlp import MLP
from subnetlab.models.resid_mlp import ResidMLP


def _sequential() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))


def test_sequential_names_load_onto_the_mlp_layers_in_order():
    sequential = _sequential()
    model = MLP([6, 8, 8, 2], activation="relu")
    model.load_state_dict(complete_state_dict(model, sequential.state_dict()))
    x = torch.randn(5, 6)
    assert torch.equal(model(x), sequential(x))
    assert torch.equal(model.in_perm, torch.arange(6))  # layout buffers keep their values


def test_the_models_own_names_without_its_buffers_load():
    source = MLP([3, 4, 2])
    weights = {k: v for k, v in source.state_dict().items() if k.startswith("linears.")}
    model = MLP([3, 4, 2])
    model.load_state_dict(complete_state_dict(model, weights))
    assert torch.equal(model.linears[1].weight, source.linears[1].weight)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda sd: sd.pop("4.bias"), r"^it lacks 4.bias \(linears.2.bias\)$"),
        (
            lambda sd: sd.update({"0.weight": torch.zeros(8, 5)}),
            r"^shapes differ: 0.weight \(linears.0.weight\) \(8, 5\) \(the model's is \(8, 6\)\)$",
        ),
        (
            lambda sd: [sd.pop(k) for k in ("4.weight", "4.bias")],
            r"holds 2 nn.Sequential layers with weights \(indices \[0, 2\]\); the model has 3",
        ),
    ],
)
def test_a_wrong_or_partial_sequential_state_dict_is_one_line(edit, message):
    state = _sequential().state_dict()
    edit(state)
    with pytest.raises(ValueError, match=message):
        complete_state_dict(MLP([6, 8, 8, 2], activation="relu"), state)


def test_unknown_names_are_listed_and_buffers_that_matter_are_required():
    model = MLP([3, 4, 2])
    weights = {k: v for k, v in model.state_dict().items() if k.startswith("linears.")}
    with pytest.raises(ValueError, match=r"^the model has no extra\.weight$"):
        complete_state_dict(model, {**weights, "extra.weight": torch.zeros(1)})
    # ResidMLP's fixed embedding is a buffer the network computes with: it must be given
    resid = ResidMLP(4, 8, 3, 1)
    parameters = {name: p.detach() for name, p in resid.named_parameters()}
    with pytest.raises(ValueError, match="it lacks W_E"):
        complete_state_dict(resid, parameters)


def test_what_counts_as_a_plain_state_dict():
    assert is_plain_state_dict({"0.weight": torch.zeros(2, 2)})
    assert not is_plain_state_dict({})
    assert not is_plain_state_dict({"format": "x", "state_dict": {}})
    assert not is_plain_state_dict(torch.zeros(2))
