import pytest
import torch

from subnetlab.methods.circuit.metrics import make_metric
from subnetlab.methods.circuit.patching import build_cache, patched_forward, shuffled_pairs
from subnetlab.methods.circuit.planted import planted_circuit, planted_edge_mask


def test_planted_modules_are_disjoint_and_sized_as_asked():
    planted = planted_circuit(widths=(8, 16, 16, 2), module_widths=(2, 3, 3), seed=4)
    nodes = planted.truth.nodes
    assert [int(t.sum()) for t in nodes] == [4, 6, 6]
    for t in nodes:
        assert not (t[0] & t[1]).any()
    assert planted.inputs.shape == (200, 8)
    assert planted.inputs.abs().max() <= 1


def test_true_edges_are_strong_and_leaks_are_weak():
    planted = planted_circuit(seed=1, leak=0.02)
    for w, true, into_module in zip(
        planted.net.weights,
        planted.truth.edges,
        [t.any(0) for t in planted.truth.nodes[1:]] + [None],
        strict=False,
    ):
        assert w[true].abs().min() >= 0.5
        receivers_in_module = (
            torch.ones(w.shape[0], dtype=torch.bool) if into_module is None else into_module
        )
        leaks = w[receivers_in_module[:, None] & ~true]
        assert leaks.abs().max() <= 0.02 * 1.5


def test_without_leaks_the_planted_circuit_is_exactly_the_model():
    planted = planted_circuit(seed=2, leak=0.0)
    x = planted.inputs
    cache = build_cache(planted.net, x, "corrupted", shuffled_pairs(x, torch.Generator()))
    circuit_out = patched_forward(cache, planted_edge_mask(planted))
    torch.testing.assert_close(circuit_out, cache.full_outputs)
    empty_out = patched_forward(cache, cache.graph.empty_mask())
    assert float(make_metric("mse", cache.full_outputs)(empty_out)) > 0.5


def test_planted_circuit_rejects_modules_that_do_not_fit():
    with pytest.raises(ValueError, match="do not fit in width 8"):
        planted_circuit(widths=(8, 16, 2), module_widths=(5, 3))
    with pytest.raises(ValueError, match="one entry per node layer"):
        planted_circuit(widths=(8, 16, 2), module_widths=(2,))
