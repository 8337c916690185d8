import pytest
import torch

from subnetlab.data.sparse_features import sample_sparse_features
from subnetlab.methods.spd.components import GateMLPs, gate_mlps_reference
from subnetlab.methods.spd.decomposition import SPDDecomposition
from subnetlab.models.resid_mlp import ResidMLP
from subnetlab.models.tms import TMS


def _decomposition(
    model: torch.nn.Module, C: int = 6, delta_component: bool = False
) -> SPDDecomposition:
    names = list(model.weights())
    return SPDDecomposition(
        model, names, {n: C for n in names}, d_gate=4, seed=0, delta_component=delta_component
    )


@pytest.mark.parametrize("pnorm", [1.0, 2.0])
@pytest.mark.parametrize("delta_component", [False, True])
@pytest.mark.parametrize(
    "model",
    [
        TMS(5, 2),
        TMS(6, 3, n_hidden_layers=1),
        ResidMLP(8, 20, 4, n_layers=1),
        ResidMLP(8, 20, 4, n_layers=2),
    ],
)
def test_fast_path_equals_plain_path_values_and_gradients(
    model: torch.nn.Module, delta_component: bool, pnorm: float
) -> None:
    dec = _decomposition(model, delta_component=delta_component)
    x = sample_sparse_features(
        64, model.n_features, 0.15, -1.0, 1.0, torch.Generator().manual_seed(1)
    )
    assert (x.abs().sum(-1) == 0).any() and (x.abs().sum(-1) > 0).any()
    params = [p for p in dec.parameters() if p.requires_grad]
    results = []
    for batched in (True, False):
        terms, _ = dec.losses(x, pnorm, torch.Generator().manual_seed(0), batched=batched)
        grads = torch.autograd.grad(sum(terms.values()), params)
        results.append((terms, grads))
    (fast, fast_grads), (plain, plain_grads) = results
    for name in plain:
        assert torch.allclose(fast[name], plain[name], rtol=1e-5, atol=1e-8), name
    for a, b in zip(fast_grads, plain_grads, strict=True):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("model", [TMS(5, 2), ResidMLP(8, 20, 4, n_layers=1)])
def test_shared_gates_give_the_same_terms_on_both_paths(model: torch.nn.Module) -> None:
    names = list(model.weights())
    dec = SPDDecomposition(
        model, names, {n: 6 for n in names}, d_gate=4, seed=0, ci_fn="shared_mlp", ci_hidden=8
    )
    x = sample_sparse_features(
        32, model.n_features, 0.2, -1.0, 1.0, torch.Generator().manual_seed(3)
    )
    params = [p for p in dec.parameters() if p.requires_grad]
    results = []
    for batched in (True, False):
        terms, _ = dec.losses(x, 2.0, torch.Generator().manual_seed(0), batched=batched)
        results.append((terms, torch.autograd.grad(sum(terms.values()), params)))
    (fast, fast_grads), (plain, plain_grads) = results
    for name in plain:
        torch.testing.assert_close(fast[name], plain[name], rtol=1e-5, atol=1e-8)
    for a, b in zip(fast_grads, plain_grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


def test_matrices_with_different_C_share_one_fused_gate_pass() -> None:
    model = TMS(6, 3, n_hidden_layers=1)
    C = {"linear1": 7, "hidden_layers.0": 3, "linear2": 7}
    dec = SPDDecomposition(model, list(C), C, d_gate=4, seed=0)
    x = sample_sparse_features(48, 6, 0.2, 0.0, 1.0, torch.Generator().manual_seed(2))
    params = [p for p in dec.parameters() if p.requires_grad]
    results = []
    for batched in (True, False):
        terms, ci = dec.losses(x, 1.0, torch.Generator().manual_seed(0), batched=batched)
        results.append((terms, ci, torch.autograd.grad(sum(terms.values()), params)))
    (fast, fast_ci, fast_grads), (plain, plain_ci, plain_grads) = results
    assert fast_ci.joint is not None and fast_ci.joint.sizes == [7, 3, 7]
    assert {n: v.shape[-1] for n, v in fast_ci.lower.items()} == C
    for name in plain:
        torch.testing.assert_close(fast[name], plain[name], rtol=1e-5, atol=1e-8)
    for a, b in zip(fast_grads, plain_grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)
    assert fast_ci.l0(0.1) == pytest.approx(plain_ci.l0(0.1))


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


def test_the_delta_component_restores_the_target_by_hand() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(3, 2, bias=False))
    dec = SPDDecomposition(model, ["0"], {"0": 2}, d_gate=4, seed=0, delta_component=True)
    x = torch.randn(4, 3)
    W = model[0].weight.detach()
    V, U = (t.detach() for t in dec.vu("0"))
    zeros, ones = torch.zeros(4, 2), torch.ones(4, 2)
    full_delta, no_delta = {"0": torch.ones(4)}, {"0": torch.zeros(4)}
    # all subcomponents off, delta on: W − ΣUV plus nothing... plus the subcomponents' share
    torch.testing.assert_close(dec.masked_forward(x, {"0": ones}, full_delta), x @ W.T)
    torch.testing.assert_close(dec.masked_forward(x, {"0": zeros}, full_delta), x @ (W.T - V @ U))
    torch.testing.assert_close(dec.masked_forward(x, {"0": ones}, no_delta), x @ V @ U)
    half = {"0": torch.full((4,), 0.5)}
    expected = x @ V @ U + 0.5 * (x @ W.T - x @ V @ U)
    torch.testing.assert_close(dec.masked_forward(x, {"0": ones}, half), expected)


class LinearResidMLP(torch.nn.Module):
    """ResidMLP written with plain nn.Linear modules (no hand-written decomposition protocol)."""

    def __init__(self, toy: ResidMLP) -> None:
        super().__init__()
        self.register_buffer("W_E", toy.W_E.clone())
        self.layers = torch.nn.ModuleList()
        for block in toy.layers:
            pair = torch.nn.Module()
            pair.mlp_in = torch.nn.Linear(toy.d_embed, toy.d_mlp, bias=False)
            pair.mlp_out = torch.nn.Linear(toy.d_mlp, toy.d_embed, bias=False)
            pair.mlp_in.weight.data.copy_(block.mlp_in.weight.data)
            pair.mlp_out.weight.data.copy_(block.mlp_out.weight.data)
            self.layers.append(pair)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        resid = x @ self.W_E
        for pair in self.layers:
            resid = resid + pair.mlp_out(torch.relu(pair.mlp_in(resid)))
        return resid @ self.W_E.T


@pytest.mark.parametrize("batched", [False, True])
def test_any_module_path_equals_the_toys_own_path(batched: bool) -> None:
    toy = ResidMLP(8, 20, 4, n_layers=2)
    generic = LinearResidMLP(toy)
    x = torch.rand(16, 8) + 0.1  # no all-zero row: the toy's row merging changes nothing
    results = []
    names = list(toy.weights())
    for model in (toy, generic):
        dec = SPDDecomposition(model, names, {n: 6 for n in names}, d_gate=4, seed=0)
        terms, ci = dec.losses(x, 2.0, torch.Generator().manual_seed(3), batched=batched)
        results.append((terms, ci))
    (toy_terms, toy_ci), (generic_terms, generic_ci) = results
    for name, value in toy_terms.items():
        torch.testing.assert_close(generic_terms[name], value, rtol=1e-5, atol=1e-7)
    for name, value in toy_ci.value.items():
        torch.testing.assert_close(generic_ci.value[name], value)


def test_a_language_model_trains_through_embedding_tied_unembedding_and_shared_gates() -> None:
    from tests.unit.models.test_module_matrices import TinyLM

    torch.manual_seed(0)
    model = TinyLM()
    names = ["embed", "mlp.0", "mlp.2", "unembed"]
    dec = SPDDecomposition(
        model, names, {n: 5 for n in names}, d_gate=4, seed=0, ci_fn="shared_mlp", ci_hidden=8
    )
    V_e, U_e = dec.vu("embed")
    V_u, U_u = dec.vu("unembed")
    assert V_e.shape == (7, 5) and torch.equal(V_u, U_e.T) and torch.equal(U_u, V_e.T)
    tokens = torch.randint(0, 7, (3, 6))
    terms, ci = dec.losses(tokens, 2.0, torch.Generator().manual_seed(0), recon="kl")
    assert ci.value["embed"].shape == (3, 6, 5)
    total = sum(terms.values())
    params = dict(dec.named_parameters())
    grads = torch.autograd.grad(
        total, [params["components.embed.V"], params["gates.embed.w1"], params["gates.mlp__0.w2"]]
    )
    assert all(g.abs().sum() > 0 for g in grads)
    # an embedding's shared CI MLP reads its token as a one-hot row: a lookup of w1
    gate = dec.gates["embed"]
    torch.testing.assert_close(gate(tokens), gate(torch.nn.functional.one_hot(tokens, 7).float()))


@pytest.mark.parametrize("concatenate", [True, False])
@pytest.mark.parametrize("delta_component", [False, True])
def test_the_fast_passes_equal_the_plain_passes_on_a_language_model(
    delta_component: bool, concatenate: bool
) -> None:
    """Fast: the passes concatenated, or one after another reusing the target's products until
    the first masked matrix; plain: every product recomputed."""
    from tests.unit.models.test_module_matrices import TinyLM

    torch.manual_seed(1)
    model = TinyLM()
    names = ["embed", "mlp.0", "mlp.2"]
    dec = SPDDecomposition(
        model, names, {n: 5 for n in names}, d_gate=4, seed=0, delta_component=delta_component
    )
    tokens = torch.randint(0, 7, (4, 6))
    params = [p for p in dec.parameters() if p.requires_grad]
    results = []
    for batched in (True, False):
        terms, _ = dec.losses(
            tokens,
            2.0,
            torch.Generator().manual_seed(0),
            batched=batched,
            recon="kl",
            concatenate=concatenate and batched,
        )
        results.append((terms, torch.autograd.grad(sum(terms.values()), params)))
    (fast, fast_grads), (plain, plain_grads) = results
    for name in plain:
        torch.testing.assert_close(fast[name], plain[name], rtol=1e-5, atol=1e-7)
    for a, b in zip(fast_grads, plain_grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


def test_the_target_stays_in_eval_mode_while_training() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Dropout(0.5))
    dec = SPDDecomposition(model, ["0"], {"0": 2}, d_gate=4, seed=0)
    dec.train()
    assert dec.gates.training and not model.training and not model[1].training
    x = torch.randn(5, 3)
    out_a, _, _ = dec.target_forward(x)
    out_b, _, _ = dec.target_forward(x)
    torch.testing.assert_close(out_a, out_b)  # no dropout draws


def test_bf16_autocast_gives_finite_terms_with_delta_and_pgd() -> None:
    from subnetlab.methods.spd.decomposition import PGDSettings
    from tests.unit.models.test_module_matrices import TinyLM

    torch.manual_seed(0)
    model = TinyLM()
    names = ["mlp.0", "mlp.2"]
    dec = SPDDecomposition(
        model, names, {n: 4 for n in names}, d_gate=4, seed=0, delta_component=True
    )
    tokens = torch.randint(0, 7, (3, 5))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        terms, _ = dec.losses(
            tokens, 2.0, torch.Generator().manual_seed(0), recon="kl", pgd=PGDSettings(2, 0.1)
        )
    assert set(terms) >= {"stochastic_recon", "pgd_recon"}
    assert all(torch.isfinite(v) for v in terms.values())
    total = sum(terms.values())
    grads = torch.autograd.grad(total, [p for p in dec.parameters() if p.requires_grad])
    assert all(g.dtype == torch.float32 and torch.isfinite(g).all() for g in grads)
