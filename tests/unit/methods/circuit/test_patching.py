import math

import pytest
import torch

from subnetlab.methods.circuit.patching import (
    build_cache,
    circuit_state,
    edge_removal_shift,
    node_activations,
    patched_forward,
    shuffled_pairs,
    single_neuron_outputs,
)
from subnetlab.methods.circuit.planted import planted_circuit
from subnetlab.models.layered import LayeredNet


def silu(v: float) -> float:
    return v / (1 + math.exp(-v))


def chain_net() -> LayeredNet:
    """x -> h -> y with h = silu(2x + 0.5), y = -3h + 1: three neurons, two edges."""
    return LayeredNet(
        [torch.tensor([[2.0]]), torch.tensor([[-3.0]])],
        [torch.tensor([0.5]), torch.tensor([1.0])],
        "silu",
    )


def mask(first: bool, second: bool) -> list[torch.Tensor]:
    return [torch.tensor([[first]]), torch.tensor([[second]])]


def test_edge_patching_matches_a_hand_computation_on_a_three_neuron_net():
    net = chain_net()
    clean, corrupted = torch.tensor([[1.0]]), torch.tensor([[-2.0]])
    cache = build_cache(net, clean, "corrupted", corrupted)
    h_clean, h_corrupt = silu(2.5), silu(-3.5)
    out = lambda m: float(patched_forward(cache, m)[0, 0])  # noqa: E731
    assert out(mask(True, True)) == pytest.approx(-3 * h_clean + 1)
    # x -> h removed: h sees the corrupted input, y sees the resulting h
    assert out(mask(False, True)) == pytest.approx(-3 * h_corrupt + 1)
    # h -> y removed: y sees h of the full model on the corrupted input
    assert out(mask(True, False)) == pytest.approx(-3 * h_corrupt + 1)
    assert out(mask(False, False)) == pytest.approx(-3 * h_corrupt + 1)


def test_zero_and_mean_ablation_on_the_three_neuron_net():
    net = chain_net()
    clean = torch.tensor([[1.0], [3.0]])
    zero = build_cache(net, clean, "zero")
    assert patched_forward(zero, mask(False, True))[:, 0].tolist() == pytest.approx(
        [-3 * silu(0.5) + 1] * 2
    )
    assert patched_forward(zero, mask(True, False))[:, 0].tolist() == pytest.approx([1.0, 1.0])
    mean = build_cache(net, clean, "mean")
    mean_h = (silu(2.5) + silu(6.5)) / 2
    assert patched_forward(mean, mask(True, False))[:, 0].tolist() == pytest.approx(
        [-3 * mean_h + 1] * 2
    )
    # x -> h removed: h sees the mean input 2
    assert patched_forward(mean, mask(False, True))[:, 0].tolist() == pytest.approx(
        [-3 * silu(4.5) + 1] * 2
    )


def test_interpolated_mask_mixes_clean_and_ablated_source():
    net = chain_net()
    cache = build_cache(net, torch.tensor([[1.0]]), "zero")
    half = [torch.tensor([[0.5]]), torch.tensor([[1.0]])]
    assert float(patched_forward(cache, half)[0, 0]) == pytest.approx(-3 * silu(1.5) + 1)


def random_net(widths, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    ws = [
        torch.randn(o, i, generator=g, dtype=dtype)
        for i, o in zip(widths, widths[1:], strict=False)
    ]
    bs = [torch.randn(o, generator=g, dtype=dtype) for o in widths[1:]]
    return LayeredNet(ws, bs, "silu")


def random_masks(widths, k, seed):
    g = torch.Generator().manual_seed(seed)
    return [
        torch.rand(k, o, i, generator=g) < 0.6 for i, o in zip(widths, widths[1:], strict=False)
    ]


def test_full_mask_is_the_model_and_empty_mask_is_the_model_on_corrupted_inputs():
    widths = [3, 4, 2]
    net = random_net(widths)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(5, 3, generator=g, dtype=torch.float64)
    corrupted = shuffled_pairs(x, g)
    cache = build_cache(net, x, "corrupted", corrupted)
    graph = cache.graph
    torch.testing.assert_close(patched_forward(cache, graph.full_mask()), net.forward(x))
    torch.testing.assert_close(patched_forward(cache, graph.empty_mask()), net.forward(corrupted))


def test_removing_a_circuit_with_zero_ablation_is_the_net_with_those_weights_zeroed():
    widths = [3, 4, 4, 2]
    net = random_net(widths)
    x = torch.randn(6, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    m = [k[0] for k in random_masks(widths, 1, seed=3)]
    zeroed = LayeredNet(
        [w * k for w, k in zip(net.weights, m, strict=False)], net.biases, net.activation
    )
    torch.testing.assert_close(patched_forward(build_cache(net, x, "zero"), m), zeroed.forward(x))
    # mean ablation: the removed weights act on the mean activation, a constant folded into biases
    means = [a.mean(dim=0) for a in node_activations(net, x)[:-1]]
    folded = LayeredNet(
        [w * k for w, k in zip(net.weights, m, strict=False)],
        [b + (w * ~k) @ mu for w, b, k, mu in zip(net.weights, net.biases, m, means, strict=False)],
        net.activation,
    )
    torch.testing.assert_close(patched_forward(build_cache(net, x, "mean"), m), folded.forward(x))


def test_batched_candidates_equal_one_at_a_time():
    widths = [3, 5, 4, 2]
    net = random_net(widths)
    g = torch.Generator().manual_seed(4)
    x = torch.randn(7, 3, generator=g, dtype=torch.float64)
    cache = build_cache(net, x, "corrupted", shuffled_pairs(x, g))
    masks = random_masks(widths, 4, seed=5)
    batched = patched_forward(cache, masks)
    assert batched.shape == (4, 7, 2)
    for k in range(4):
        torch.testing.assert_close(batched[k], patched_forward(cache, [m[k] for m in masks]))


def test_single_neuron_candidates_equal_dense_patching():
    planted = planted_circuit(seed=1, n_samples=20)
    net = LayeredNet(
        [w.double() for w in planted.net.weights],
        [b.double() for b in planted.net.biases],
        planted.net.activation,
    )
    x = planted.inputs.double()
    g = torch.Generator().manual_seed(0)
    cache = build_cache(net, x, "corrupted", shuffled_pairs(x, g))
    base = [m[0] for m in random_masks(net.widths, 1, seed=6)]
    state = circuit_state(cache, base)
    torch.testing.assert_close(state.activations[-1], patched_forward(cache, base))
    for layer, receiver in [(1, 3), (2, 0), (3, 1)]:
        sources = torch.tensor([0, 2, 5])
        shifts = edge_removal_shift(cache, state, layer, receiver)[:, sources].T
        candidates = state.preactivations[layer][:, receiver][None] + shifts
        fast = single_neuron_outputs(cache, state, layer, receiver, candidates)
        for k, source in enumerate(sources.tolist()):
            dense = [m.clone() for m in base]
            if not dense[layer - 1][receiver, source]:
                continue  # removing an absent edge changes nothing; the shift formula assumes kept
            dense[layer - 1][receiver, source] = False
            torch.testing.assert_close(fast[k], patched_forward(cache, dense))


def test_shuffled_pairs_is_a_permutation_without_fixed_points():
    x = torch.arange(10.0)[:, None]
    paired = shuffled_pairs(x, torch.Generator().manual_seed(0))
    assert sorted(paired[:, 0].tolist()) == list(range(10))
    assert (paired[:, 0] != x[:, 0]).all()
    with pytest.raises(ValueError, match="at least 2 examples"):
        shuffled_pairs(x[:1], torch.Generator())


def test_build_cache_rejects_bad_arguments():
    net = chain_net()
    x = torch.ones(3, 1)
    with pytest.raises(ValueError, match="ablation='resample' is not supported"):
        build_cache(net, x, "resample")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="exactly when ablation='corrupted'"):
        build_cache(net, x, "corrupted")
    with pytest.raises(ValueError, match="exactly when ablation='corrupted'"):
        build_cache(net, x, "zero", x)
    with pytest.raises(ValueError, match=r"expected \(B, 1\)"):
        build_cache(net, torch.ones(3, 2), "zero")
