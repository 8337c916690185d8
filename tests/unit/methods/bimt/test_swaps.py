import pytest
import torch

from subnetlab.methods.bimt.connection_cost import CostSettings, connection_cost
from subnetlab.methods.bimt.swaps import (
    _unit_weights_and_lengths,
    relocate,
    relocate_layer,
    swap_gains,
    swap_units,
    unit_importance,
)
from subnetlab.models.mlp import MLP

NETS = {
    "line": (lambda: MLP([5, 8, 6, 3]), lambda: torch.randn(16, 5)),
    "embedding": (
        lambda: MLP([8, 6, 6, 7], vocab_size=7, embed_dim=4),
        lambda: torch.randint(0, 7, (16, 2)),
    ),
    "grid": (
        lambda: MLP([16, 9, 9, 4], geometry="grid", image_shape=(4, 4)),
        lambda: torch.rand(16, 16),
    ),
}


def _cost(model: MLP, settings: CostSettings) -> float:
    with torch.no_grad():
        return connection_cost(model, settings).item()


@pytest.mark.parametrize("kind", sorted(NETS))
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_relocation_preserves_outputs_and_never_raises_the_cost(kind, reduction):
    torch.manual_seed(0)
    build, inputs = NETS[kind]
    model, x = build(), inputs()
    settings = CostSettings(0.1, 2.0, reduction, exempt_last_layer=kind == "grid")
    with torch.no_grad():
        before_out = model(x)
    costs = [_cost(model, settings)]
    total_swaps = 0
    for _ in range(3):
        total_swaps += relocate(model, settings, top_k=4)
        costs.append(_cost(model, settings))
    assert total_swaps > 0
    assert all(b <= a * (1 + 1e-7) for a, b in zip(costs, costs[1:], strict=False))
    assert costs[-1] < costs[0]
    with torch.no_grad():
        assert (model(x) - before_out).abs().max().item() <= 1e-6


@pytest.mark.parametrize("kind", sorted(NETS))
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_vectorised_gains_equal_recomputing_the_whole_cost(kind, reduction):
    torch.manual_seed(1)
    model = NETS[kind][0]()
    settings = CostSettings(0.3, 1.5, reduction, exempt_last_layer=True)
    base = _cost(model, settings)
    for layer in range(model.n_layers + 1):
        weights, lengths = _unit_weights_and_lengths(model, layer, settings)
        gains = swap_gains(weights, lengths, unit=1)
        brute = []
        for k in range(model.unit_counts[layer]):
            swap_units(model, layer, 1, k)
            brute.append(_cost(model, settings) - base)
            swap_units(model, layer, 1, k)
        torch.testing.assert_close(
            gains, torch.tensor(brute, dtype=gains.dtype), atol=1e-5, rtol=1e-4
        )


def test_crossed_wiring_is_uncrossed_to_the_hand_computed_minimum():
    # [2, 2, 2] identity-like net whose hidden neurons are crossed: input 0 (at 1/4) feeds the
    # hidden neuron at 3/4, which feeds output 0 (at 1/4). Swapping the hidden pair makes every
    # wire vertical: cost falls from 4 * 0.5 to 0 (layer gap 0, biases zero).
    model = MLP([2, 2, 2], activation="identity")
    with torch.no_grad():
        model.linears[0].weight.copy_(torch.tensor([[0.0, 1.0], [1.0, 0.0]]))
        model.linears[1].weight.copy_(torch.tensor([[0.0, 1.0], [1.0, 0.0]]))
        for linear in model.linears:
            linear.bias.zero_()
    settings = CostSettings(layer_gap=0.0, distance_weight=1.0)
    assert _cost(model, settings) == pytest.approx(2.0)
    assert relocate_layer(model, 1, settings, top_k=2) == 1
    assert _cost(model, settings) == pytest.approx(0.0)
    assert model.linears[0].weight.tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_input_and_output_swaps_uncross_and_are_recorded_in_the_permutations():
    # Input 0 only feeds the right hidden neuron, input 1 only the left: moving the inputs is
    # cheaper than anything else when the hidden layer is wide and the outputs follow it.
    model = MLP([2, 2, 2], activation="identity")
    with torch.no_grad():
        model.linears[0].weight.copy_(torch.tensor([[0.0, 3.0], [3.0, 0.0]]))
        model.linears[1].weight.copy_(torch.tensor([[0.0, 2.0], [2.0, 0.0]]))
        for linear in model.linears:
            linear.bias.zero_()
    x = torch.tensor([[1.0, 5.0], [-2.0, 0.5]])
    expected = model(x).detach()
    settings = CostSettings(layer_gap=0.0, distance_weight=1.0)
    relocate(model, settings, top_k=2)
    assert _cost(model, settings) == pytest.approx(0.0)
    assert model.in_perm.tolist() == [1, 0]
    assert model.out_perm.tolist() == [1, 0]
    torch.testing.assert_close(model(x).detach(), expected)


def test_adam_moments_move_with_the_weights():
    torch.manual_seed(2)
    model = MLP([3, 4, 2])
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    model(torch.randn(5, 3)).pow(2).sum().backward()
    optimizer.step()
    moments = optimizer.state[model.linears[0].weight]["exp_avg"].clone()
    out_moments = optimizer.state[model.linears[1].weight]["exp_avg"].clone()
    swap_units(model, 1, 0, 3, optimizer)
    torch.testing.assert_close(optimizer.state[model.linears[0].weight]["exp_avg"][3], moments[0])
    torch.testing.assert_close(
        optimizer.state[model.linears[1].weight]["exp_avg"][:, 0], out_moments[:, 3]
    )


def test_importance_sums_incoming_and_outgoing_magnitudes():
    model = MLP([4, 2, 1], vocab_size=3, embed_dim=2)
    with torch.no_grad():
        model.linears[0].weight.copy_(torch.tensor([[1.0, -2.0, 3.0, 0.5], [0.0, 1.0, 0.0, -1.0]]))
        model.linears[1].weight.copy_(torch.tensor([[2.0, -3.0]]))
    # input units fold columns (0, 2) and (1, 3)
    assert unit_importance(model, 0).tolist() == pytest.approx([4.0, 4.5])
    assert unit_importance(model, 1).tolist() == pytest.approx([8.5, 5.0])
    assert unit_importance(model, 2).tolist() == pytest.approx([5.0])


def test_top_k_bounds_the_moves_per_layer_and_is_validated():
    torch.manual_seed(3)
    model = MLP([6, 10, 4])
    settings = CostSettings(0.1, 1.0)
    assert relocate_layer(model, 1, settings, top_k=1) <= 1
    with pytest.raises(ValueError, match="top_k"):
        relocate(model, settings, top_k=0)


def test_relocation_runs_single_threaded_and_restores_the_thread_count():
    before = torch.get_num_threads()
    seen = []
    model = MLP([3, 4, 2])
    original = model.unit_tensors

    def spy(layer):
        seen.append(torch.get_num_threads())
        return original(layer)

    model.unit_tensors = spy
    # a large distance weight on crossed wiring forces at least one swap (which reads the tensors)
    with torch.no_grad():
        model.linears[0].weight.copy_(
            torch.tensor([[0, 0, 5.0], [0, 0, 0], [0, 0, 0], [5.0, 0, 0]])
        )
    relocate(model, CostSettings(0.0, 1.0), top_k=4)
    assert seen and set(seen) == {1}
    assert torch.get_num_threads() == before
