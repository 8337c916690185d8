import pytest
import torch

from subnetlab.methods.apd.losses import (
    schatten_p,
    schatten_p_exact,
    schatten_p_factor_norms,
    simplicity_loss,
)


def _svd_value(A: torch.Tensor, B: torch.Tensor, p: float) -> torch.Tensor:
    """Σ σ^p over the m leading singular values of A B (its rank is at most m)."""
    return torch.linalg.svdvals(A @ B)[..., : A.shape[-1]].pow(p).sum(-1)


@pytest.mark.parametrize("p", [0.5, 0.9, 1.0, 2.0])
def test_exact_factorised_schatten_equals_the_svd_value(p: float) -> None:
    gen = torch.Generator().manual_seed(0)
    A = torch.randn(4, 7, 3, generator=gen, dtype=torch.float64)
    B = torch.randn(4, 3, 5, generator=gen, dtype=torch.float64)
    assert torch.allclose(schatten_p_exact(A, B, p), _svd_value(A, B, p), rtol=1e-10)


def test_factor_norm_form_is_exact_for_orthogonal_factors_and_an_upper_bound_at_p1() -> None:
    gen = torch.Generator().manual_seed(1)
    Q_in, _ = torch.linalg.qr(torch.randn(6, 3, generator=gen, dtype=torch.float64))
    Q_out, _ = torch.linalg.qr(torch.randn(4, 3, generator=gen, dtype=torch.float64))
    scales = torch.tensor([3.0, 0.5, 2.0], dtype=torch.float64)
    A = (Q_in * scales).unsqueeze(0)  # orthogonal columns with norms 3, 0.5, 2
    B = (Q_out.T * 0.5).unsqueeze(0)  # orthonormal rows scaled by 0.5
    for p in (0.7, 1.0):
        expected = (scales * 0.5).pow(p).sum()  # singular values 1.5, 0.25, 1
        assert torch.allclose(schatten_p_factor_norms(A, B, p, eps=0.0), expected.reshape(1))
        assert torch.allclose(_svd_value(A, B, p), expected.reshape(1))
    A_mixed = torch.randn(5, 6, 3, generator=gen, dtype=torch.float64)
    B_mixed = torch.randn(5, 3, 4, generator=gen, dtype=torch.float64)
    # triangle inequality of the nuclear norm: Σ_m ‖a_m‖‖b_m‖ ≥ ‖Σ_m a_m b_mᵀ‖_*
    bound = schatten_p_factor_norms(A_mixed, B_mixed, 1.0, eps=0.0)
    assert (bound >= _svd_value(A_mixed, B_mixed, 1.0) - 1e-12).all()


def test_schatten_gradients_stay_finite_near_degenerate_factors() -> None:
    # factor norms: a rank-one direction that is exactly zero (eps keeps x^{p/2} differentiable)
    A = torch.tensor([[[1.0, 0.0], [0.0, 0.0]]], requires_grad=True)
    B = torch.tensor([[[2.0, 0.0], [0.0, 0.0]]], requires_grad=True)
    value = schatten_p(A, B, 0.9, "factor_norms")
    assert torch.allclose(value, torch.tensor([2.0**0.9]), atol=1e-5)
    assert all(torch.isfinite(g).all() for g in torch.autograd.grad(value.sum(), [A, B]))
    # exact: full-rank factors with one small singular value
    A = torch.tensor([[[1.0, 0.0], [0.0, 1e-3]]], requires_grad=True)
    value = schatten_p(A, B.detach() + torch.eye(2) * 1e-3, 0.9, "exact")
    assert torch.allclose(value, torch.tensor([2.001**0.9 + (1e-6) ** 0.9]), rtol=1e-4)
    assert torch.isfinite(torch.autograd.grad(value.sum(), A)[0]).all()
    with pytest.raises(ValueError, match="Schatten form"):
        schatten_p(A, B, 1.0, "nuclear")  # type: ignore[arg-type]


@pytest.mark.parametrize("p", [0.3, 0.9, 1.0, 2.0])
def test_exact_schatten_gradient_is_the_svd_gradient_and_finite_for_rank_deficient_factors(
    p: float,
) -> None:
    gen = torch.Generator().manual_seed(2)
    A = torch.randn(3, 6, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    B = torch.randn(3, 3, 5, generator=gen, dtype=torch.float64, requires_grad=True)
    ours = torch.autograd.grad(schatten_p_exact(A, B, p).sum(), [A, B])
    direct = torch.autograd.grad(_svd_value(A, B, p).sum(), [A, B])
    for got, want in zip(ours, direct, strict=True):
        assert torch.allclose(got, want, rtol=1e-8, atol=1e-10)
    # a collapsed component (all zero) and one with a zero rank-one direction: QR's own backward
    # gave NaN here; the value counts (0 + eps)^{p/2} per zero singular value
    A_deficient = A.detach().clone()
    A_deficient[0] = 0.0
    A_deficient[1, :, 2] = 0.0
    A_deficient.requires_grad_(True)
    value = schatten_p(A_deficient, B, p, "exact")
    grads = torch.autograd.grad(value.sum(), [A_deficient, B])
    assert all(torch.isfinite(g).all() for g in grads)
    assert value[0].item() == pytest.approx(3 * 1e-12 ** (0.5 * p), rel=1e-6)
    rank_two = torch.linalg.svdvals(A_deficient[1].detach() @ B[1].detach())[:2]
    expected_1 = (rank_two.pow(2) + 1e-12).pow(0.5 * p).sum() + 1e-12 ** (0.5 * p)
    assert value[1].item() == pytest.approx(expected_1.item(), rel=1e-9)


def test_simplicity_counts_only_active_components() -> None:
    per_component = {"a": torch.tensor([1.0, 2.0, 4.0]), "b": torch.tensor([0.5, 0.0, 1.0])}
    mask = torch.tensor([[True, False, False], [True, True, True]])
    # active sums: row 0: 1.5; row 1: 1.5 + 2 + 5 = 8.5 → 10 / (batch 2 · 5 entries)
    assert torch.isclose(simplicity_loss(per_component, mask, n_entries=5), torch.tensor(1.0))
