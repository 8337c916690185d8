import pytest
import torch

from subnetlab.data.sparse_features import sample_sparse_features
from subnetlab.methods.spd.components import GateMLPs, gate_mlps_reference
from subnetlab.methods.spd.decomposition import SPDDecomposition
from subnetlab.models.resid_mlp import ResidMLP
from subnetlab.models.tms import TMS


def _decomposition(model: torch.nn.Module, C: int = 6) -> SPDDecomposition:
    names = list(model.weights())
    return SPDDecomposition(model, names, {n: C for n in names}, d_gate=4, seed=0)


@pytest.mark.parametrize(
    "model", [TMS(5, 2), TMS(6, 3, n_hidden_layers=1), ResidMLP(8, 20, 4, n_layers=2)]
)
def test_fast_path_equals_plain_path_values_and_gradients(model: torch.nn.Module) -> None:
    dec = _decomposition(model)
    x = sample_sparse_features(64, model.n_features, 0.15, 0.0, 1.0, torch.Generator().manual_seed(1))
    assert (x.abs().sum(-1) == 0).any() and (x.abs().sum(-1) > 0).any()
    params = [p for p in dec.parameters() if p.requires_grad]
    results = []
    for batched in (True, False):
        terms, _ = dec.losses(x, 2.0, torch.Generator().manual_seed(0), batched=batched)
        grads = torch.autograd.grad(sum(terms.values()), params)
        results.append((terms, grads))
    (fast, fast_grads), (plain, plain_grads) = results
    for name in plain:
        assert torch.allclose(fast[name], plain[name], rtol=1e-5, atol=1e-8), name
    for a, b in zip(fast_grads, plain_grads, strict=True):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-6)


def test_tied_components_are_transposed_views() -> None:
    dec = _decomposition(TMS(5, 2))
    V1, U1 = dec.vu("linear1")
    V2, U2 = dec.vu("linear2")
    assert torch.equal(V2, U1.T) and torch.equal(U2, V1.T)
    trainable = {n for n, p in dec.named_parameters() if p.requires_grad}
    assert not any(n.startswith("components.linear2") for n in trainable)
    weights = dec.component_weights()
    assert torch.allclose(weights["linear2"], weights["linear1"].T)


def test_initial_subcomponents_are_scaled_by_their_overlap_with_the_target() -> None:
    model = TMS(5, 2)
    dec = _decomposition(model, C=4)
    V, U = dec.vu("linear1")
    assert torch.allclose(V.norm(dim=0), torch.ones(4), atol=1e-6)
    W = model.linear1.weight.detach()
    overlap = torch.stack([(U[c] / U[c].norm()) @ W @ V[:, c] for c in range(4)])
    assert torch.allclose(U.norm(dim=1), overlap.abs(), atol=1e-6)


def test_perfect_components_with_full_masks_reconstruct_exactly() -> None:
    model = TMS(5, 2)
    dec = _decomposition(model, C=5)
    W = model.linear1.weight.detach()  # (2, 5): one rank-one piece per feature column
    with torch.no_grad():
        dec.components["linear1"].V.copy_(torch.eye(5))
        dec.components["linear1"].U.copy_(W.T)
    x = torch.rand(10, 5)
    ones = {n: torch.ones(10, 5) for n in dec.names}
    assert torch.allclose(dec.masked_forward(x, ones), model(x), atol=1e-6)
    zero_faithfulness = dec.component_weights()["linear1"] - W
    assert zero_faithfulness.abs().max() < 1e-6


def test_gate_mlps_match_the_plain_formula() -> None:
    gates = GateMLPs(7, 5, torch.Generator().manual_seed(0))
    inner = torch.randn(11, 7)
    assert torch.allclose(gates(inner), gate_mlps_reference(inner, gates), atol=1e-6)
    # each subcomponent's MLP only sees its own inner activation
    changed = inner.clone()
    changed[:, 3] += 1.0
    diff = (gates(changed) - gates(inner)).abs().sum(0)
    assert diff[3] > 0 and diff[torch.arange(7) != 3].max() == 0


def test_ci_l0_counts_weighted_rows() -> None:
    dec = _decomposition(TMS(5, 2))
    x = torch.zeros(8, 5)
    x[0, 1] = 0.8
    _, ci = dec.losses(x, 1.0, torch.Generator().manual_seed(0), batched=True)
    _, ci_plain = dec.losses(x, 1.0, torch.Generator().manual_seed(0), batched=False)
    assert ci.row_weights is not None and len(ci.row_weights) == 2  # 1 active row + 1 zero row
    for name, value in ci_plain.l0(0.1).items():
        assert ci.l0(0.1)[name] == pytest.approx(value)
