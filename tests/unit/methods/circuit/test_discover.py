"""Top-fraction pre-filter and the algorithm dispatch."""

from __future__ import annotations

import pytest
import torch

from subnetlab.methods.circuit.acdc import acdc
from subnetlab.methods.circuit.discover import discover, eap_prefilter, top_fraction
from subnetlab.methods.circuit.edge_graph import EdgeGraph
from subnetlab.methods.circuit.metrics import make_metric
from subnetlab.methods.circuit.patching import build_cache
from subnetlab.models.layered import LayeredNet


def test_top_fraction_keeps_the_largest_magnitudes():
    graph = EdgeGraph((2, 2, 1))
    scores = [torch.tensor([[0.1, -0.9], [0.3, 0.0]]), torch.tensor([[-0.5, 0.2]])]
    # 6 edges, 0.5 of them → the 3 largest |score|: -0.9, -0.5, 0.3
    mask = top_fraction(graph, scores, 0.5)
    assert mask[0].tolist() == [[False, True], [True, False]]
    assert mask[1].tolist() == [[True, False]]
    # ceil(0.1 * 6) = 1 edge
    assert graph.count_edges(top_fraction(graph, scores, 0.1)) == 1
    with pytest.raises(ValueError, match="fraction"):
        top_fraction(graph, scores, 0.0)


def _net_and_cache():
    # y = 2 * relu(x0) (x1 feeds a dead path): a 2-2-1 ReLU net
    net = LayeredNet(
        weights=[torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([[2.0, 0.0]])],
        biases=[torch.zeros(2), torch.zeros(1)],
        activation="relu",
    )
    x = torch.tensor([[1.0, 3.0], [2.0, -1.0], [0.5, 2.0], [3.0, 0.0]])
    cache = build_cache(net, x, "zero")
    return net, cache, make_metric("mse", cache.full_outputs)


def test_acdc_dispatch_matches_acdc_and_adds_the_prefilter_cost():
    _, cache, metric = _net_and_cache()
    plain = discover("acdc", cache, metric, 0.01)
    direct = acdc(cache, metric, 0.01)
    assert [m.tolist() for m in plain.mask] == [m.tolist() for m in direct.mask]
    # only x0 -> h0 -> y matters
    assert plain.mask[0].tolist() == [[True, False], [False, False]]
    assert plain.mask[1].tolist() == [[True, False]]
    prefilter = eap_prefilter(cache, metric, 0.5, ig_steps=2)
    filtered = discover("acdc", cache, metric, 0.01, prefilter=prefilter)
    assert filtered.backward_passes == 2
    assert (
        filtered.forward_passes
        == prefilter[1] + acdc(cache, metric, 0.01, start_mask=prefilter[0]).forward_passes
    )
    assert [m.tolist() for m in filtered.mask] == [m.tolist() for m in plain.mask]


def test_magnitude_and_eap_dispatch():
    net, cache, metric = _net_and_cache()
    assert discover("magnitude", cache, metric, 0.5).mask[1].tolist() == [[True, False]]
    result = discover("eap_ig", cache, metric, 0.01, ig_steps=4)
    assert result.algorithm == "eap_ig" and result.backward_passes == 4
    assert result.mask[0].tolist() == [[True, False], [False, False]]
    with pytest.raises(ValueError, match="algorithm"):
        discover("sp", cache, metric, 0.1)  # type: ignore[arg-type]
