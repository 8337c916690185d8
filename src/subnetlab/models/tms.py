"""Toy model of superposition (TMS): x̂ = ReLU(Wᵀ W x + b), optionally with fixed identity hidden
layers between the tied encoder and decoder."""

from __future__ import annotations

import torch
from torch import nn

from subnetlab.models.decomposable import LinearApply, plain_apply
from subnetlab.registry import register_model
from subnetlab.schemas.models import TMSSchema


class TMS(nn.Module):
    """``linear1`` (n_hidden × n_features, no bias), ``hidden_layers.i`` (fixed identities) and
    ``linear2`` whose weight is ``linear1.weight.T`` plus a trained bias."""

    #: its forward carries extra leading dimensions, so SPD stacks its masked passes
    supports_stacked_passes = True

    def __init__(self, n_features: int, n_hidden: int, n_hidden_layers: int = 0) -> None:
        super().__init__()
        self.n_features, self.n_hidden, self.n_hidden_layers = n_features, n_hidden, n_hidden_layers
        self.linear1 = nn.Linear(n_features, n_hidden, bias=False)
        self.hidden_layers = nn.ModuleList(
            nn.Linear(n_hidden, n_hidden, bias=False) for _ in range(n_hidden_layers)
        )
        for layer in self.hidden_layers:
            assert isinstance(layer, nn.Linear)
            layer.weight.data.copy_(torch.eye(n_hidden))
            layer.weight.requires_grad_(False)
        self.linear2_bias = nn.Parameter(torch.zeros(n_features))
        self.tied = {"linear2": "linear1"}
        # an all-zero input reaches every decomposable matrix as zeros (SPD skips such rows' work)
        self.zero_input_fixed_point = True

    def weights(self) -> dict[str, torch.Tensor]:
        out = {"linear1": self.linear1.weight}
        for i, layer in enumerate(self.hidden_layers):
            assert isinstance(layer, nn.Linear)
            out[f"hidden_layers.{i}"] = layer.weight
        out["linear2"] = self.linear1.weight.T
        return out

    def forward_with(self, x: torch.Tensor, apply: LinearApply) -> torch.Tensor:
        h = apply("linear1", x)
        for i in range(self.n_hidden_layers):
            h = apply(f"hidden_layers.{i}", h)
        return torch.relu(apply("linear2", h) + self.linear2_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_with(x, plain_apply(self.weights()))

    def expected_ci_patterns(self) -> dict[str, tuple[str, int]]:
        """Module → (pattern, size) of a perfect decomposition (SPD, arXiv:2506.20790, §3)."""
        patterns = {
            "linear1": ("identity", self.n_features),
            "linear2": ("identity", self.n_features),
        }
        for i in range(self.n_hidden_layers):
            patterns[f"hidden_layers.{i}"] = ("dense", self.n_hidden)
        return patterns


@register_model("tms", TMSSchema, recipe="tms")
def build_tms(cfg: TMSSchema) -> TMS:
    """The TMS a ``model=tms*`` config describes."""
    return TMS(cfg.n_features, cfg.n_hidden, cfg.n_hidden_layers)
