import pytest
import torch

from subnetlab.methods.apd.attributions import batch_topk_mask
from subnetlab.methods.apd.decomposition import APDDecomposition
from subnetlab.models.resid_mlp import ResidMLP
from subnetlab.models.tms import TMS


def _hand_tms() -> APDDecomposition:
    """TMS 2-1 with W = [[1, 2]], zero bias; linear1 split into P_0 = [[1, 0]], P_1 = [[0, 2]]."""
    model = TMS(2, 1)
    with torch.no_grad():
        model.linear1.weight.copy_(torch.tensor([[1.0, 2.0]]))
    dec = APDDecomposition(model, ["linear1"], C=2, rank={"linear1": 1}, seed=0)
    A, B = dec.factors("linear1")
    with torch.no_grad():
        A.copy_(torch.tensor([[[1.0], [0.0]], [[0.0], [2.0]]]))
        B.copy_(torch.ones(2, 1, 1))
    return dec


def test_attributions_on_a_hand_checked_case() -> None:
    # x = (1, 0): h = 1, f = relu((1, 2)·h), ∂f/∂h = (1, 2); P_0 x = 1, P_1 x = 0
    # A_0 = 1² + 2² = 5, A_1 = 0. x = (1, 1): P_1 x = 2, so A_1 = 2² + 4² = 20 and A_0 = 5.
    # x = (−1, 0): h = −1, both outputs are off, so nothing has an effect.
    dec = _hand_tms()
    x = torch.tensor([[1.0, 0.0], [1.0, 1.0], [-1.0, 0.0]])
    attr = dec.attributions(x)
    expected = torch.tensor([[5.0, 0.0], [5.0, 20.0], [0.0, 0.0]])
    assert torch.allclose(attr.total, expected)
    assert torch.allclose(attr.per_module["linear1"], expected)
    assert torch.allclose(attr.target_output, torch.tensor([[1.0, 2.0], [3.0, 6.0], [0.0, 0.0]]))
    # the top 2 of the 6 (datapoint, component) scores: 20 and one of the 5s
    mask = batch_topk_mask(attr.total, 2 / 3)
    assert mask.sum() == 2 and mask[1, 1] and not mask[2].any()


@pytest.mark.parametrize("model", [TMS(5, 2), TMS(4, 3, n_hidden_layers=1), ResidMLP(6, 12, 4, 2)])
def test_batched_backward_equals_directional_derivatives(model: torch.nn.Module) -> None:
    """A_c(x) = ‖d/dε f(x; W + ε P_c)‖² with P_c in every decomposed matrix at once."""
    torch.manual_seed(0)
    names = list(model.weights())
    ranks = {n: min(w.shape) for n, w in model.weights().items()}
    dec = APDDecomposition(model, names, C=3, rank=ranks, seed=1)
    x = torch.rand(4, model.n_features)
    attr = dec.attributions(x)
    chunked = dec.attributions(x, chunk=1)  # one backward per output dimension
    assert torch.allclose(attr.total, chunked.total, rtol=1e-5, atol=1e-7)
    W = {n: w.detach() for n, w in model.weights().items()}
    for c in range(3):
        P = {n: dec.matrices(n)[c].detach() for n in names}

        def f(eps: torch.Tensor, P: dict[str, torch.Tensor] = P) -> torch.Tensor:
            def apply(name: str, a: torch.Tensor) -> torch.Tensor:
                return a @ (W[name] + eps * P[name]).T

            return model.forward_with(x, apply)

        _, d = torch.func.jvp(f, (torch.tensor(0.0),), (torch.tensor(1.0),))
        assert torch.allclose(attr.total[:, c], d.pow(2).sum(-1), rtol=1e-4, atol=1e-7)


def test_attributions_from_the_component_network() -> None:
    dec = _hand_tms()  # Σ_c P_c = W, so both sources agree
    x = torch.tensor([[1.0, 1.0]])
    assert torch.allclose(dec.attributions(x, "components").total, dec.attributions(x).total)
    with torch.no_grad():
        dec.target.linear2_bias.copy_(torch.tensor([-2.0, 0.0]))
        dec.factors("linear1")[1].mul_(0.5)  # P_0 = [[0.5, 0]], P_1 = [[0, 1]]
    # P_0 x = 0.5, P_1 x = 1. Target: h = 3, both outputs on, ∂f/∂h = (1, 2):
    # A = (0.25·5, 1·5). Component network: h = 1.5, output 0 is off (1.5 − 2 < 0), ∂f/∂h = (0, 2):
    # A = (0.5²·4, 1²·4)
    assert torch.allclose(dec.attributions(x).total, torch.tensor([[1.25, 5.0]]))
    assert torch.allclose(dec.attributions(x, "components").total, torch.tensor([[1.0, 4.0]]))
    with pytest.raises(ValueError, match="attribution source"):
        dec.attributions(x, "gates")  # type: ignore[arg-type]


def test_batch_topk_keeps_the_largest_scores_across_the_batch() -> None:
    scores = torch.tensor([[5.0, 0.0], [6.0, 20.0], [0.0, 0.0], [1.0, 3.0]])
    mask = batch_topk_mask(scores, 0.75)  # ⌊0.75·4⌋ = 3 of 8
    assert mask.tolist() == [[True, False], [True, True], [False, False], [False, False]]
    assert batch_topk_mask(scores, 0.1).sum() == 1  # ⌊0.4⌋ = 0 → at least one
    assert batch_topk_mask(scores, 5.0).all()  # more than batch·C: everything
    assert int(0.211 * 2048) == 432  # the APD paper's TMS 5-2 budget per batch
    with pytest.raises(ValueError, match="topk > 0"):
        batch_topk_mask(scores, 0.0)
