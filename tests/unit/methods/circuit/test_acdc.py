import math

import pytest
import torch

from subnetlab.methods.circuit.acdc import acdc
from subnetlab.methods.circuit.ground_truth import sweep_auc
from subnetlab.methods.circuit.metrics import make_metric
from subnetlab.methods.circuit.patching import build_cache, patched_forward, shuffled_pairs
from subnetlab.methods.circuit.planted import planted_circuit
from subnetlab.models.layered import LayeredNet

TAUS = [float(t) for t in 10 ** torch.linspace(-5, 0, 11)]


def planted_cache(seed=0, dtype=torch.float32, n_samples=100):
    planted = planted_circuit(seed=seed, n_samples=n_samples)
    net = LayeredNet(
        [w.to(dtype) for w in planted.net.weights],
        [b.to(dtype) for b in planted.net.biases],
        planted.net.activation,
    )
    x = planted.inputs.to(dtype)
    cache = build_cache(net, x, "corrupted", shuffled_pairs(x, torch.Generator().manual_seed(seed)))
    return planted, cache, make_metric("mse", cache.full_outputs)


def sequential_acdc(cache, metric, tau):
    """Textbook ACDC: one edge, one full forward pass."""
    graph = cache.graph
    mask = graph.full_mask()
    current = float(metric(patched_forward(cache, mask)))
    for layer, receiver in graph.receivers_reverse_topological():
        for source in range(graph.widths[layer - 1]):
            trial = [m.clone() for m in mask]
            trial[layer - 1][receiver, source] = False
            value = float(metric(patched_forward(cache, trial)))
            if value - current < tau:
                mask, current = trial, value
    return mask


@pytest.mark.parametrize("candidates_per_pass", [1, 4, 256])
def test_batched_acdc_finds_the_same_circuit_as_one_edge_per_pass(candidates_per_pass):
    _, cache, metric = planted_cache(seed=3, dtype=torch.float64, n_samples=30)
    for tau in (1e-3, 2e-2):
        expected = sequential_acdc(cache, metric, tau)
        found = acdc(cache, metric, tau, candidates_per_pass=candidates_per_pass)
        assert [m.tolist() for m in found.mask] == [m.tolist() for m in expected]
        assert found.circuits_evaluated >= found.forward_passes


def test_acdc_drops_the_input_a_hand_built_net_ignores():
    # y = 2 * silu(x1) + 0 * x2 through one hidden neuron per input
    net = LayeredNet(
        [torch.eye(2), torch.tensor([[2.0, 0.0]])], [torch.zeros(2), torch.zeros(1)], "silu"
    )
    x = torch.randn(40, 2, generator=torch.Generator().manual_seed(0))
    cache = build_cache(net, x, "corrupted", shuffled_pairs(x, torch.Generator().manual_seed(1)))
    result = acdc(cache, make_metric("mse", cache.full_outputs), tau=0.01)
    assert result.mask[0].tolist() == [[True, False], [False, False]]
    assert result.mask[1].tolist() == [[True, False]]
    # the kept edges each carry the whole output: removing one costs 1 - R^2 of about 1 or more
    assert result.scores[1][0, 0] > 0.5
    assert result.scores[1][0, 1] == 0.0


def test_a_huge_tau_removes_every_edge_and_start_mask_edges_stay_removed():
    _, cache, metric = planted_cache()
    graph = cache.graph
    assert graph.count_edges(acdc(cache, metric, tau=1e9).mask) == 0
    start = graph.full_mask()
    start[0][:, 0] = False
    result = acdc(cache, metric, tau=0.0, start_mask=start)
    assert not result.mask[0][:, 0].any()
    assert math.isnan(float(result.scores[0][0, 0]))


def test_acdc_recovers_a_planted_circuit_with_roc_auc_above_0_95():
    planted, cache, metric = planted_cache()
    masks = [acdc(cache, metric, tau).mask for tau in TAUS]
    auc = sweep_auc(planted.truth, cache.graph, masks)
    assert auc["edge_auc"] >= 0.95
    assert auc["node_auc"] >= 0.95


def test_acdc_rejects_bad_thresholds():
    _, cache, metric = planted_cache(n_samples=10)
    with pytest.raises(ValueError, match="tau=-0.1 invalid"):
        acdc(cache, metric, tau=-0.1)
    with pytest.raises(ValueError, match="candidates_per_pass=0 invalid"):
        acdc(cache, metric, tau=0.1, candidates_per_pass=0)
