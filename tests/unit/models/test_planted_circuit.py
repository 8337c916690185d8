import pytest
import torch

from subnetlab.methods.circuit.planted import planted_circuit
from subnetlab.models.layered import sequential_to_layered
from subnetlab.models.planted_circuit import CONSTANT_BIAS, PlantedCircuitNet, plant_circuit
from subnetlab.registry import build_model, model_family
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.planted_circuit import PlantedCircuitSchema
from subnetlab.training.recipe import build_recipe


def roles_of(net: PlantedCircuitNet) -> list[torch.Tensor]:
    """Per hidden layer, which neurons are constant units (no input weights)."""
    layered = sequential_to_layered(net)
    return [(w == 0).all(dim=1) for w in layered.weights[:-1]]


def test_constant_units_have_no_inputs_full_scale_outputs_and_no_place_in_the_truth():
    net = plant_circuit((8, 16, 16, 2), (2, 3, 3), constant_units=2, activation="tanh", seed=3)
    layered = sequential_to_layered(net)
    truth = net.truth_edges
    for layer, constant in enumerate(roles_of(net)):
        assert int(constant.sum()) == 2
        assert torch.all(layered.biases[layer][constant] == CONSTANT_BIAS)
        out_weights = layered.weights[layer + 1][:, constant]
        into_modules = truth[layer + 1].any(dim=1)  # receivers that are module neurons
        # full scale (magnitude 0.5-1.5) into the next layer's module neurons, never true edges
        assert out_weights[into_modules].abs().min() >= 0.5
        assert not truth[layer + 1][:, constant].any()
        assert not truth[layer][constant].any()
    # a constant unit's output does not depend on the input
    x = torch.rand(50, 8) * 2 - 1
    hidden = torch.tanh(x @ layered.weights[0].T + layered.biases[0])
    assert torch.allclose(hidden[:, roles_of(net)[0]], hidden[:1, roles_of(net)[0]].expand(50, -1))


def test_output_scales_scale_the_weights_into_each_output():
    plain = sequential_to_layered(plant_circuit(seed=1))
    scaled = sequential_to_layered(plant_circuit(output_scales=[1.0, 0.3], seed=1))
    assert torch.equal(scaled.weights[-1][0], plain.weights[-1][0])
    assert torch.allclose(scaled.weights[-1][1], 0.3 * plain.weights[-1][1])


def test_without_constant_units_the_net_is_the_one_planted_circuit_reads():
    planted = planted_circuit(seed=5)
    net = sequential_to_layered(plant_circuit(seed=5))
    for ours, theirs in zip(net.weights, planted.net.weights, strict=True):
        assert torch.equal(ours, theirs)


def test_the_model_family_is_built_from_its_config_and_keeps_its_truth_in_the_state_dict():
    cfg = PlantedCircuitSchema(seed=2)
    assert model_family("planted_circuit").weights_from_config
    net = build_model(cfg)
    assert isinstance(net, PlantedCircuitNet)
    again = build_model(cfg)
    assert all(
        torch.equal(a, b)
        for a, b in zip(net.state_dict().values(), again.state_dict().values(), strict=True)
    )
    other = build_model(PlantedCircuitSchema(seed=3))
    assert not torch.equal(other.state_dict()["0.weight"], net.state_dict()["0.weight"])
    assert "truth_edges_0" in net.state_dict() and net.truth_edges[0].dtype == torch.bool


def test_modules_that_do_not_fit_are_refused_with_the_limit():
    with pytest.raises(ConfigError, match=r"module_widths\[1\].*at most 6"):
        PlantedCircuitSchema(widths=[8, 16, 16, 2], module_widths=[2, 8, 3], constant_units=4)
    with pytest.raises(ConfigError, match="output_scales"):
        PlantedCircuitSchema(output_scales=[1.0])
    with pytest.raises(ValueError, match="do not fit in width 16"):
        plant_circuit((8, 16, 16, 2), (2, 8, 3), constant_units=1)


def test_a_planted_net_is_not_trained():
    with pytest.raises(ConfigError, match="built whole from its config"):
        build_recipe(PlantedCircuitSchema(), None, 0)
