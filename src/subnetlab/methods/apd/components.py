"""Parameter components of APD: C full copies of the decomposed matrices, each factorised as A B."""

from __future__ import annotations

import math

import torch
from torch import nn


class FactorisedComponents(nn.Module):
    """C components of one weight W (d_out × d_in), each of rank ≤ m: P_cᵀ = A_c B_c.

    A (C, d_in, m) reads the layer input, B (C, m, d_out) writes the output, so the component's
    linear map is ``a @ A[c] @ B[c]`` (the target computes ``a @ Wᵀ``). Initialisation is
    normal with std 1/√d_in for A and 1/√(m·C) for B, so Σ_c P_c starts at the target's scale;
    the faithfulness loss fits it to W within the first steps.
    """

    def __init__(
        self, target_weight: torch.Tensor, C: int, rank: int, generator: torch.Generator
    ) -> None:
        super().__init__()
        d_out, d_in = target_weight.shape
        self.A = nn.Parameter(torch.randn(C, d_in, rank, generator=generator) / math.sqrt(d_in))
        self.B = nn.Parameter(
            torch.randn(C, rank, d_out, generator=generator) / math.sqrt(rank * C)
        )

    def factors(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(A (C, d_in, m), B (C, m, d_out))."""
        return self.A, self.B


class TiedFactorisedComponents(nn.Module):
    """Components of a matrix tied to another's transpose (TMS linear2 = linear1ᵀ):
    A = B_otherᵀ, B = A_otherᵀ per component, no parameters of its own."""

    def __init__(self, other: FactorisedComponents) -> None:
        super().__init__()
        self.other = [other]  # a list keeps it out of this module's parameters

    def factors(self) -> tuple[torch.Tensor, torch.Tensor]:
        A_other, B_other = self.other[0].factors()
        return B_other.transpose(1, 2), A_other.transpose(1, 2)


def component_matrices(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """Every component's matrix in the target's (d_out, d_in) layout: (C, d_out, d_in)."""
    return (A @ B).transpose(1, 2)
