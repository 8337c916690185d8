import pytest
import torch

from subnetlab.methods.bimt.metrics import (
    alive_neurons,
    connected_components,
    edges_above,
    output_subcircuits,
    shared_hidden_neurons,
    structure_metrics,
)
from subnetlab.models.layered import LayeredNet


def _two_modules() -> LayeredNet:
    """[4, 4, 2]: inputs 0, 2 -> hidden 0 -> output 0; inputs 1, 3 -> hidden 2, 3 -> output 1.
    Hidden 1 only has a weak (2 % of max) outgoing edge, so it is dead at 5 %."""
    w0 = torch.zeros(4, 4)
    w0[0, 0], w0[0, 2] = 1.0, -0.5
    w0[2, 1], w0[3, 3], w0[1, 1] = 0.8, 0.6, 0.9
    w0[3, 0] = 0.04  # below 5 % of the max (1.0): not an edge
    w1 = torch.zeros(2, 4)
    w1[0, 0] = 0.7
    w1[1, 2], w1[1, 3] = -0.9, 0.3
    w1[0, 1] = 0.02
    return LayeredNet([w0, w1], [torch.zeros(4), torch.zeros(2)])


def test_edges_above_each_threshold():
    net = _two_modules()
    assert edges_above(net, 0.05) == 8
    assert edges_above(net, 0.01) == 10
    assert edges_above(net, 0.5) == 6  # 1.0, 0.8, 0.6, 0.9, 0.7, 0.9 (not 0.5 itself)


def test_alive_components_and_sharing_of_two_disjoint_modules():
    net = _two_modules()
    assert alive_neurons(net, 0.05) == 3
    assert connected_components(net, 0.05) == 2
    assert shared_hidden_neurons(net, 0.05) == 0
    circuits = output_subcircuits(net, 0.05)
    assert circuits[0][0].tolist() == [True, False, False, False]
    assert circuits[1][0].tolist() == [False, False, True, True]
    # at 1 % the weak edges join hidden 1 to output 0 and hidden 3 to input 0: one component
    assert connected_components(net, 0.01) == 1


def test_a_hidden_neuron_feeding_both_outputs_is_shared():
    net = _two_modules()
    net.weights[1][1, 0] = 0.5
    assert shared_hidden_neurons(net, 0.05) == 1
    assert connected_components(net, 0.05) == 1


def test_sharing_counts_paths_through_deeper_layers():
    # [1, 2, 2, 2]: hidden-1 neuron 0 feeds both hidden-2 neurons, each to its own output
    w0 = torch.tensor([[1.0], [0.0]])
    w1 = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    w2 = torch.eye(2)
    net = LayeredNet([w0, w1, w2], [torch.zeros(2), torch.zeros(2), torch.zeros(2)])
    assert shared_hidden_neurons(net) == 1
    assert alive_neurons(net) == 3


def test_structure_metrics_names():
    metrics = structure_metrics(_two_modules(), with_shared=True)
    assert metrics == {
        "edges_above_1pct": 10.0,
        "edges_above_5pct": 8.0,
        "edges_above_10pct": 8.0,
        "total_edges": 24.0,
        "alive_neurons": 3.0,
        "connected_components": 2.0,
        "shared_hidden_neurons": 0.0,
    }
    assert "shared_hidden_neurons" not in structure_metrics(_two_modules(), with_shared=False)


def test_fraction_out_of_range_raises():
    with pytest.raises(ValueError, match="fraction"):
        edges_above(_two_modules(), 1.5)
