import pytest
import torch

from subnetlab.methods.circuit.eap import circuit_from_scores, eap_scores
from subnetlab.methods.circuit.ground_truth import sweep_auc
from subnetlab.methods.circuit.magnitude import magnitude, relative_magnitudes
from subnetlab.methods.circuit.metrics import make_metric
from subnetlab.methods.circuit.patching import build_cache, shuffled_pairs
from subnetlab.methods.circuit.planted import planted_circuit
from subnetlab.models.layered import LayeredNet


def test_magnitude_keeps_weights_above_a_fraction_of_the_largest():
    net = LayeredNet(
        [torch.tensor([[4.0, -1.0]]), torch.tensor([[-0.5]])], [torch.zeros(1), torch.zeros(1)]
    )
    assert [s.tolist() for s in relative_magnitudes(net)] == [[[1.0, 0.25]], [[0.125]]]
    result = magnitude(net, tau=0.2)
    assert [m.tolist() for m in result.mask] == [[[True, True]], [[False]]]
    assert result.forward_passes == 0


def test_magnitude_is_fooled_by_strong_distractor_weights_where_eap_is_not():
    planted = planted_circuit(seed=0)
    thresholds = torch.linspace(0, 1, 21).tolist()
    graph = build_cache(planted.net, planted.inputs, "zero").graph
    by_magnitude = sweep_auc(
        planted.truth, graph, [magnitude(planted.net, t).mask for t in thresholds]
    )
    x = planted.inputs
    cache = build_cache(planted.net, x, "corrupted", shuffled_pairs(x, torch.Generator()))
    scores, _ = eap_scores(cache, make_metric("mse", cache.full_outputs), ig_steps=5)
    by_eap = sweep_auc(
        planted.truth,
        graph,
        [circuit_from_scores(scores, float(t)) for t in 10 ** torch.linspace(-5, 0, 11)],
    )
    assert by_magnitude["edge_auc"] < 0.8 < 0.95 < by_eap["edge_auc"]


def test_magnitude_without_distractors_finds_the_planted_circuit():
    planted = planted_circuit(seed=0, distractor_scale=0.01, leak=0.01)
    graph = build_cache(planted.net, planted.inputs, "zero").graph
    masks = [magnitude(planted.net, t).mask for t in torch.linspace(0, 1, 21).tolist()]
    assert sweep_auc(planted.truth, graph, masks)["edge_auc"] == pytest.approx(1.0)


def test_magnitude_rejects_bad_thresholds_and_all_zero_nets():
    net = LayeredNet([torch.zeros(1, 1)], [torch.zeros(1)])
    with pytest.raises(ValueError, match="every weight of the net is zero"):
        magnitude(net, 0.5)
    with pytest.raises(ValueError, match=r"tau=1.5 invalid"):
        magnitude(LayeredNet([torch.ones(1, 1)], [torch.zeros(1)]), 1.5)
