"""APD loss terms as plain functions (arXiv:2501.14926, §2). Faithfulness and the output MSE are
shared with SPD (``subnetlab.methods.decomposition.losses``): the same definitions."""

from __future__ import annotations

from typing import Literal

import torch

SchattenForm = Literal["factor_norms", "exact"]


def schatten_p_exact(A: torch.Tensor, B: torch.Tensor, p: float, eps: float = 0.0) -> torch.Tensor:
    """Σ_i (σ_i² + eps)^{p/2} over the singular values σ of each A_c B_c, from the factors alone.

    A (C, d_in, m), B (C, m, d_out) with m ≤ min(d_in, d_out). With A = Q_A R_A and Bᵀ = Q_B R_B
    (reduced QR), A B = Q_A (R_A R_Bᵀ) Q_Bᵀ has the singular values of the m × m matrix
    Q_Aᵀ A B Q_B = R_A R_Bᵀ, so no d_in × d_out matrix is formed. The orthonormal bases are taken
    without gradient and the m × m product is formed from A and B themselves: QR's backward divides
    by R's diagonal and is NaN for rank-deficient factors (a component with a zero column, which
    the simplicity and minimality terms drive towards), while the gradient through Q_Aᵀ A B Q_B is
    the true one (Q_A's columns span A's, so the singular vectors of A B are Q_A and Q_B times
    those of the m × m matrix). ``eps`` > 0 keeps the gradient finite at σ = 0 for p < 2.
    Returns (C,).
    """
    with torch.no_grad():
        Q_A, _ = torch.linalg.qr(A)
        Q_B, _ = torch.linalg.qr(B.transpose(1, 2))
    core = Q_A.transpose(1, 2) @ A @ (B @ Q_B)  # (C, m, m)
    sigma = torch.linalg.svdvals(core)
    return (sigma.pow(2) + eps).pow(0.5 * p).sum(-1)


def schatten_p_factor_norms(
    A: torch.Tensor, B: torch.Tensor, p: float, eps: float = 1e-16
) -> torch.Tensor:
    """The APD paper's factorised simplicity term Σ_m (‖A_{:,m}‖² ‖B_{m,:}‖²)^{p/2}, per
    component (C,).

    It equals the Schatten-p norm to the p when A's columns and B's rows are orthogonal (then
    ‖A_{:,m}‖·‖B_{m,:}‖ are the singular values) and needs no decomposition; ``eps`` keeps the
    gradient of x^{p/2} finite at 0 for p < 2.
    """
    per_rank = A.pow(2).sum(1) * B.pow(2).sum(2)  # (C, m)
    return (per_rank + eps).pow(0.5 * p).sum(-1)


def schatten_p(A: torch.Tensor, B: torch.Tensor, p: float, form: SchattenForm) -> torch.Tensor:
    match form:
        case "factor_norms":
            return schatten_p_factor_norms(A, B, p)
        case "exact":
            return schatten_p_exact(A, B, p, eps=1e-12)
    raise ValueError(f"unknown Schatten form {form!r}; allowed: factor_norms, exact")


def simplicity_loss(
    per_component: dict[str, torch.Tensor], mask: torch.Tensor, n_entries: int
) -> torch.Tensor:
    """Σ over active (datapoint, component) pairs and matrices of ‖P_{c,l}‖_p^p, divided by
    batch · N (N = entries of the decomposed matrices, the APD code's normalisation).

    ``per_component[l]`` is (C,); ``mask`` (batch, C) marks the active components.
    """
    total = sum(per_component.values())
    assert isinstance(total, torch.Tensor)
    return (mask.to(total.dtype) * total).sum() / (mask.shape[0] * n_entries)
