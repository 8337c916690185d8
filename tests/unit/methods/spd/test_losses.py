import pytest
import torch

from subnetlab.methods.decomposition.losses import faithfulness_loss, reconstruction_mse
from subnetlab.methods.spd.losses import importance_minimality_loss, lp_importance
from subnetlab.methods.spd.sigmoids import upper_leaky_hard_sigmoid


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


def test_the_lean_importance_minimality_is_the_same_value() -> None:
    ci = {"a": torch.tensor([[0.5, 1.2], [0.0, 0.3]]), "b": torch.tensor([[1.0], [2.0]])}
    weights = torch.tensor([0.6, 0.4])
    for pnorm in (0.5, 1.0, 2.0):
        torch.testing.assert_close(
            importance_minimality_loss(ci, pnorm, weights, lean=True),
            importance_minimality_loss(ci, pnorm, weights),
        )


@pytest.mark.parametrize("pnorm", [0.3, 0.5, 0.9, 1.0, 2.0])
def test_importance_minimality_is_finite_with_finite_gradients_at_zero_ci(pnorm: float) -> None:
    # gate pre-activations: shut (CI = 0 through the hard sigmoid's flat part), at 0, open, above 1
    pre = torch.tensor([[-1.0, 0.0, 0.5, 2.0], [-3.0, -0.5, 0.0, 0.0]], requires_grad=True)
    loss = importance_minimality_loss({"m": upper_leaky_hard_sigmoid(pre)}, pnorm)
    (grad,) = torch.autograd.grad(loss, pre)
    assert torch.isfinite(loss) and torch.isfinite(grad).all()
    assert grad[0, 0] == 0 and grad[1, 0] == 0  # shut gates get no push
    assert grad[0, 2] > 0  # an open gate is pushed towards 0


def test_importance_minimality_below_p1_by_hand() -> None:
    ci = torch.tensor([[0.0, 0.5], [0.25, 1.0]], dtype=torch.float64, requires_grad=True)
    loss = importance_minimality_loss({"m": ci}, 0.3)
    eps = 1e-12
    # rows: ε^0.3 + (0.5+ε)^0.3 and (0.25+ε)^0.3 + (1+ε)^0.3, mean over the 2 rows
    expected = (eps**0.3 + (0.5 + eps) ** 0.3 + (0.25 + eps) ** 0.3 + (1 + eps) ** 0.3) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx((2.5119e-4 + 0.812252 + 0.659754 + 1.0) / 2, rel=1e-5)
    (grad,) = torch.autograd.grad(loss, ci)
    # d/dx of (x + ε)^0.3 / 2 is 0.15·(x + ε)^-0.7: 0.15·1e-12^-0.7 ≈ 3.77e7 at x = 0
    assert grad[0, 0].item() == pytest.approx(0.15 * eps**-0.7, rel=1e-9)
    assert grad[0, 1].item() == pytest.approx(0.15 * 0.5**-0.7, rel=1e-9)


@pytest.mark.parametrize("pnorm", [1.0, 1.5, 2.0])
def test_importance_minimality_from_p1_up_is_the_plain_power_bit_for_bit(pnorm: float) -> None:
    ci = torch.rand(64, 20, generator=torch.Generator().manual_seed(0))
    ci[::3] = 0.0
    assert torch.equal(lp_importance(ci, pnorm), ci.pow(pnorm))
    expected = ci.pow(pnorm).sum(-1).mean()
    assert torch.equal(importance_minimality_loss({"m": ci}, pnorm), expected)


@pytest.mark.parametrize("pnorm", [0.0, -1.0, float("nan"), float("inf")])
def test_importance_minimality_rejects_a_pnorm_outside_the_finite_positives(pnorm: float) -> None:
    with pytest.raises(ValueError, match=f"pnorm={pnorm} is not allowed"):
        importance_minimality_loss({"m": torch.ones(2, 3)}, pnorm)
