"""Rank-one subcomponents of the decomposed matrices and their causal-importance MLPs."""

from __future__ import annotations

import math

import torch
from torch import nn


class LinearComponents(nn.Module):
    """C rank-one subcomponents of a weight W (d_out × d_in): Wᵀ ≈ V U, V (d_in, C), U (C, d_out).

    Paper-branch initialisation: unit-norm V columns and U rows, then each U row scaled by the
    overlap u_cᵀ W v_c of its rank-one direction with the target.
    """

    def __init__(self, target_weight: torch.Tensor, C: int, generator: torch.Generator) -> None:
        super().__init__()
        d_out, d_in = target_weight.shape
        V = torch.randn(d_in, C, generator=generator)
        U = torch.randn(C, d_out, generator=generator)
        V = V / V.norm(dim=0, keepdim=True)
        U = U / U.norm(dim=1, keepdim=True)
        overlap = torch.einsum("co,oi,ic->c", U, target_weight.detach().float(), V)
        self.V = nn.Parameter(V)
        self.U = nn.Parameter(U * overlap[:, None])

    def vu(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.V, self.U


class TiedComponents(nn.Module):
    """Components of a matrix tied to another's transpose (TMS linear2 = linear1ᵀ): V = U_otherᵀ,
    U = V_otherᵀ, no parameters of its own."""

    def __init__(self, other: LinearComponents) -> None:
        super().__init__()
        self.other = [other]  # a list keeps it out of this module's parameters

    def vu(self) -> tuple[torch.Tensor, torch.Tensor]:
        V_other, U_other = self.other[0].vu()
        return U_other.T, V_other.T


class GateMLPs(nn.Module):
    """One independent scalar MLP per subcomponent: h_c → d_gate GELU units → pre-activation.

    Weights: w1, b1, w2 of shape (C, d_gate), b2 of shape (C,); kaiming-normal (ReLU gain) with
    fan 1 for the hidden layer and fan d_gate for the output layer, zero biases.
    """

    def __init__(self, C: int, d_gate: int, generator: torch.Generator) -> None:
        super().__init__()
        gain = math.sqrt(2.0)
        self.w1 = nn.Parameter(torch.randn(C, d_gate, generator=generator) * gain)
        self.b1 = nn.Parameter(torch.zeros(C, d_gate))
        self.w2 = nn.Parameter(
            torch.randn(C, d_gate, generator=generator) * gain / math.sqrt(d_gate)
        )
        self.b2 = nn.Parameter(torch.zeros(C))

    def forward(self, inner: torch.Tensor) -> torch.Tensor:
        """inner (..., C) → pre-activation (..., C)."""
        hidden = nn.functional.gelu(torch.addcmul(self.b1, inner.unsqueeze(-1), self.w1))
        return (hidden * self.w2).sum(-1) + self.b2


def gate_mlps_reference(inner: torch.Tensor, gates: GateMLPs) -> torch.Tensor:
    """The same function written plainly (broadcast multiply and sum); for tests and benchmarks."""
    hidden = nn.functional.gelu(inner.unsqueeze(-1) * gates.w1 + gates.b1)
    return (hidden * gates.w2).sum(-1) + gates.b2


class SharedGateMLP(nn.Module):
    """One MLP per decomposed matrix from the layer's input to all C pre-activations:
    a (d_in) → ``hidden`` GELU units → (C). Cheaper than C scalar MLPs on wide layers (the
    ``shared_mlp`` causal-importance function of the public SPD code that followed
    arXiv:2506.20790, used there for language models). An embedding's input (token ids) is read
    as one-hot rows, so its first layer is a lookup.

    Weights: w1 (d_in, hidden) kaiming-normal with fan d_in (ReLU gain; fan 1 for one-hot token
    inputs), w2 (hidden, C) with fan hidden, zero biases.
    """

    def __init__(
        self, d_in: int, C: int, hidden: int, generator: torch.Generator, one_hot_input: bool
    ) -> None:
        super().__init__()
        gain = math.sqrt(2.0)
        fan_in = 1 if one_hot_input else d_in
        self.w1 = nn.Parameter(torch.randn(d_in, hidden, generator=generator) * gain / fan_in**0.5)
        self.b1 = nn.Parameter(torch.zeros(hidden))
        self.w2 = nn.Parameter(torch.randn(hidden, C, generator=generator) * gain / hidden**0.5)
        self.b2 = nn.Parameter(torch.zeros(C))

    def forward(self, layer_input: torch.Tensor) -> torch.Tensor:
        """layer_input (..., d_in) floats or (...) token ids → pre-activation (..., C)."""
        if layer_input.is_floating_point():
            first = layer_input @ self.w1
        else:
            first = self.w1[layer_input]
        return nn.functional.gelu(first + self.b1) @ self.w2 + self.b2
