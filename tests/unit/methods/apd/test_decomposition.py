import pytest
import torch

from subnetlab.methods.apd.decomposition import APDDecomposition
from subnetlab.models.resid_mlp import ResidMLP
from subnetlab.models.tms import TMS


def _faithful(model: torch.nn.Module, C: int = 3) -> APDDecomposition:
    """Components whose sum is exactly the target: P_0 = W, the others zero (full rank)."""
    names = list(model.weights())
    ranks = {n: min(w.shape) for n, w in model.weights().items()}
    dec = APDDecomposition(model, names, C=C, rank=ranks, seed=0)
    with torch.no_grad():
        for name in names:
            if name in model.tied:
                continue
            A, B = dec.factors(name)
            U, S, Vh = torch.linalg.svd(model.weights()[name].T, full_matrices=False)
            A.zero_()
            B.zero_()
            A[0] = U * S
            B[0] = Vh
    return dec


@pytest.mark.parametrize("model", [TMS(5, 2), ResidMLP(6, 12, 4, 2)])
def test_faithful_components_have_zero_faithfulness_and_reproduce_the_target(
    model: torch.nn.Module,
) -> None:
    torch.manual_seed(0)
    dec = _faithful(model)
    x = torch.rand(8, model.n_features)
    terms, mask, attr = dec.losses(x, topk=3.0, schatten_pnorm=1.0)  # every component active
    assert mask.all()
    assert terms["faithfulness"] < 1e-12
    assert terms["minimality"] < 1e-10
    assert torch.allclose(dec.sparse_forward(x, mask), attr.target_output, atol=1e-5)
    # only P_0 carries weight, so keeping it alone loses nothing either
    only_first = torch.zeros_like(mask)
    only_first[:, 0] = True
    assert torch.allclose(dec.sparse_forward(x, only_first), attr.target_output, atol=1e-5)


def test_faithfulness_is_the_mse_over_all_decomposed_entries() -> None:
    model = TMS(5, 2)
    dec = _faithful(model)
    with torch.no_grad():
        dec.factors("linear1")[0][1, 0, 0] = 0.3  # P_1 gets one entry 0.3·B_1[0] = 0 ...
        dec.factors("linear1")[1][1, 0, 0] = 1.0  # ... and B_1[0, 0] = 1: P_1ᵀ[0, 0] = 0.3
    # linear1 and its tied linear2 both differ by 0.3 in one entry: 2·0.09 / 20 entries
    terms, _, _ = dec.losses(torch.zeros(2, 5), topk=1.0, schatten_pnorm=1.0)
    assert torch.isclose(terms["faithfulness"], torch.tensor(0.18 / 20))


def test_zero_mask_leaves_only_the_bias_and_gradients_reach_the_factors() -> None:
    model = TMS(5, 2)
    with torch.no_grad():
        model.linear2_bias.copy_(torch.tensor([0.1, -0.2, 0.3, 0.0, 0.5]))
    dec = APDDecomposition(
        model, ["linear1", "linear2"], C=4, rank={"linear1": 2, "linear2": 2}, seed=0
    )
    x = torch.rand(3, 5)
    out = dec.sparse_forward(x, torch.zeros(3, 4, dtype=torch.bool))
    assert torch.allclose(out, torch.relu(model.linear2_bias).expand(3, 5))
    terms, _, _ = dec.losses(x, topk=1.0, schatten_pnorm=1.0)
    sum(terms.values()).backward()
    params = list(dec.parameters())
    assert [p.shape for p in params if p.requires_grad] == [(4, 5, 2), (4, 2, 2)]
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in params if p.requires_grad)


def test_tied_components_are_transposes_and_bad_modules_are_rejected() -> None:
    dec = APDDecomposition(
        TMS(5, 2), ["linear1", "linear2"], C=3, rank={"linear1": 2, "linear2": 2}, seed=0
    )
    assert torch.equal(dec.matrices("linear2"), dec.matrices("linear1").transpose(1, 2))
    assert dec.n_entries == 20
    with pytest.raises(ValueError, match="not decomposable"):
        APDDecomposition(TMS(5, 2), ["linear3"], C=3, rank={"linear3": 1}, seed=0)
