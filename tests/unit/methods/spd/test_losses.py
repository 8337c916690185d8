import torch

from subnetlab.methods.decomposition.losses import faithfulness_loss, reconstruction_mse
from subnetlab.methods.spd.losses import (
    draw_uniform,
    importance_minimality_loss,
    stochastic_masks,
)


def test_faithfulness_divides_by_all_entries() -> None:
    target = {"a": torch.tensor([[1.0, 2.0]]), "b": torch.tensor([[0.0], [3.0]])}
    comps = {"a": torch.tensor([[1.0, 0.0]]), "b": torch.tensor([[1.0], [1.0]])}
    # squared errors: a → 0 + 4, b → 1 + 4; 4 entries in all
    assert torch.isclose(faithfulness_loss(target, comps), torch.tensor(9.0 / 4))


def test_reconstruction_mse_and_row_weights() -> None:
    out = torch.tensor([[1.0, 1.0], [0.0, 2.0]])
    ref = torch.tensor([[0.0, 1.0], [0.0, 0.0]])
    # per row: (1 + 0)/2 = 0.5 and (0 + 4)/2 = 2
    assert torch.isclose(reconstruction_mse(out, ref), torch.tensor(1.25))
    weights = torch.tensor([0.75, 0.25])
    assert torch.isclose(reconstruction_mse(out, ref, weights), torch.tensor(0.75 * 0.5 + 0.25 * 2))
    stacked = torch.stack([out, ref])  # copy 0: 1.25, copy 1: 0
    assert torch.isclose(reconstruction_mse(stacked, ref.unsqueeze(0)), torch.tensor(0.625))


def test_importance_minimality_sums_layers_and_components_means_batch() -> None:
    ci = {"a": torch.tensor([[0.5, 1.0], [0.0, 0.0]]), "b": torch.tensor([[1.0], [2.0]])}
    # p = 1: sample sums 2.5 and 2.0 → mean 2.25; p = 2: 0.25+1+1 = 2.25 and 4 → 3.125
    assert torch.isclose(importance_minimality_loss(ci, 1.0), torch.tensor(2.25))
    assert torch.isclose(importance_minimality_loss(ci, 2.0), torch.tensor(3.125))
    weights = torch.tensor([0.9, 0.1])
    assert torch.isclose(
        importance_minimality_loss(ci, 1.0, weights), torch.tensor(0.9 * 2.5 + 0.2)
    )


def test_stochastic_masks_interpolate_between_ci_and_one() -> None:
    g = torch.tensor([[0.0, 0.25, 1.0]], requires_grad=True)
    r = {"m": torch.tensor([[0.5, 0.0, 0.7]])}
    m = stochastic_masks({"m": g}, r)["m"]
    assert torch.allclose(m, torch.tensor([[0.5, 0.25, 1.0]]))
    (grad,) = torch.autograd.grad(m.sum(), g)
    assert torch.allclose(grad, 1 - r["m"])  # dm/dg = 1 − r: gradients reach the CI function


def test_draw_uniform_is_reproducible_and_in_range() -> None:
    a = draw_uniform({"x": (1000, 3)}, torch.Generator().manual_seed(5))["x"]
    b = draw_uniform({"x": (1000, 3)}, torch.Generator().manual_seed(5))["x"]
    assert torch.equal(a, b)
    assert 0 <= a.min() and a.max() < 1 and abs(float(a.mean()) - 0.5) < 0.03
