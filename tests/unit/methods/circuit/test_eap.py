import pytest
import torch

from subnetlab.methods.circuit.eap import circuit_from_scores, eap, eap_scores
from subnetlab.methods.circuit.ground_truth import sweep_auc
from subnetlab.methods.circuit.metrics import make_metric
from subnetlab.methods.circuit.patching import build_cache, patched_forward, shuffled_pairs
from subnetlab.methods.circuit.planted import planted_circuit
from subnetlab.models.layered import LayeredNet

TAUS = [float(t) for t in 10 ** torch.linspace(-5, 0, 11)]


def test_eap_equals_hand_formula_on_a_two_layer_net():
    # z = W1 x, h = silu(z), y = W2 h; metric = logit-diff drop with label 0 over 2 classes
    w1 = torch.tensor([[1.0, -2.0]])
    w2 = torch.tensor([[3.0], [1.0]])
    net = LayeredNet([w1, w2], [torch.zeros(1), torch.zeros(2)], "silu")
    x, x_bad = torch.tensor([[1.0, 0.5]]), torch.tensor([[-1.0, 1.0]])
    cache = build_cache(net, x, "corrupted", x_bad)
    metric = make_metric("logit_diff", cache.full_outputs, labels=torch.tensor([0]))
    scores, passes = eap_scores(cache, metric)
    assert passes == 1
    # dM/dy = (-1, +1); dM/dh = -3 + 1 = -2; dM/dz = -2 * silu'(z) at z = 0
    z = torch.tensor(0.0, requires_grad=True)
    (silu_grad,) = torch.autograd.grad(torch.nn.functional.silu(z), z)
    h, h_bad = 0.0, float(torch.nn.functional.silu(torch.tensor(-3.0)))
    expected_second = [3.0 * (h_bad - h) * -1.0, 1.0 * (h_bad - h) * 1.0]
    expected_first = [
        w * (b - a) * -2.0 * float(silu_grad)
        for w, a, b in zip([1.0, -2.0], [1.0, 0.5], [-1.0, 1.0], strict=False)
    ]
    assert scores[1][:, 0].tolist() == pytest.approx(expected_second)
    assert scores[0][0].tolist() == pytest.approx(expected_first)


def test_eap_is_exact_for_a_linear_net_and_a_linear_metric():
    g = torch.Generator().manual_seed(0)
    net = LayeredNet(
        [torch.randn(4, 3, generator=g), torch.randn(3, 4, generator=g)],
        [torch.randn(4, generator=g), torch.randn(3, generator=g)],
        "identity",
    )
    x = torch.randn(20, 3, generator=g)
    cache = build_cache(net, x, "corrupted", shuffled_pairs(x, g))
    metric = make_metric("logit_diff", cache.full_outputs)
    scores, _ = eap_scores(cache, metric)
    full = float(metric(patched_forward(cache, cache.graph.full_mask())))
    for layer, receiver, source in [(0, 2, 1), (1, 0, 3), (1, 2, 2)]:
        mask = cache.graph.full_mask()
        mask[layer][receiver, source] = False
        change = float(metric(patched_forward(cache, mask))) - full
        assert float(scores[layer][receiver, source]) == pytest.approx(change, abs=1e-5)


def test_integrated_gradients_scores_add_up_to_the_empty_circuit_metric():
    planted = planted_circuit(seed=2, n_samples=50)
    x = planted.inputs
    cache = build_cache(planted.net, x, "corrupted", shuffled_pairs(x, torch.Generator()))
    metric = make_metric("mse", cache.full_outputs)
    scores, passes = eap_scores(cache, metric, ig_steps=40)
    assert passes == 40
    empty = float(metric(patched_forward(cache, cache.graph.empty_mask())))
    assert sum(float(s.sum()) for s in scores) == pytest.approx(empty, rel=1e-2)


def test_plain_eap_refuses_metrics_flat_at_the_full_model():
    planted = planted_circuit(n_samples=10)
    cache = build_cache(planted.net, planted.inputs, "zero")
    with pytest.raises(ValueError, match="zero gradient at the full model"):
        eap_scores(cache, make_metric("mse", cache.full_outputs), ig_steps=0)
    with pytest.raises(ValueError, match="ig_steps=-1 invalid"):
        eap_scores(cache, make_metric("mse", cache.full_outputs), ig_steps=-1)


def test_eap_recovers_a_planted_circuit_with_roc_auc_above_0_95():
    planted = planted_circuit(seed=0)
    x = planted.inputs
    cache = build_cache(
        planted.net, x, "corrupted", shuffled_pairs(x, torch.Generator().manual_seed(0))
    )
    result = eap(cache, make_metric("mse", cache.full_outputs), tau=0.01, ig_steps=5)
    assert result.forward_passes == result.backward_passes == 5
    masks = [circuit_from_scores(result.scores, tau) for tau in TAUS]
    auc = sweep_auc(planted.truth, cache.graph, masks)
    assert auc["edge_auc"] >= 0.95
    assert auc["node_auc"] >= 0.95


def test_eap_ig_equals_the_hand_computed_integral_on_one_edge():
    # y = 2 x on x = (1, -1), corrupted x' = (-1, 1): with the edge at strength alpha,
    # y - y_full = -4 (1 - alpha) on both rows; mse (variance 4): M(alpha) = 4 (1 - alpha)^2,
    # dM/dalpha = -8 (1 - alpha). EAP-IG with 2 steps averages at alpha = 1/4, 3/4: (6 + 2) / 2 = 4,
    # the exact cost of removing the edge M(0) - M(1) = 4; plain EAP (alpha = 1) would say 0.
    net = LayeredNet([torch.tensor([[2.0]])], [torch.zeros(1)], "identity")
    x = torch.tensor([[1.0], [-1.0]])
    cache = build_cache(net, x, "corrupted", x.flip(0))
    metric = make_metric("mse", cache.full_outputs)
    scores, passes = eap_scores(cache, metric, ig_steps=2)
    assert passes == 2 and float(scores[0]) == pytest.approx(4.0)
    with pytest.raises(ValueError, match="scores every edge 0"):
        eap_scores(cache, metric, ig_steps=0)
    result = eap(cache, metric, tau=3.9, ig_steps=2)
    assert result.algorithm == "eap_ig" and result.mask[0].tolist() == [[True]]
