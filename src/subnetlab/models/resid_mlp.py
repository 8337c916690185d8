"""Residual MLP toy ("compressed computation"): features embedded in a wide residual stream by a
fixed random W_E, ReLU MLP blocks without biases, read off by W_U = W_Eᵀ."""

from __future__ import annotations

import torch
from torch import nn

from subnetlab.models.decomposable import LinearApply, embed, plain_apply, residual_readout
from subnetlab.registry import register_model
from subnetlab.schemas.models import ResidMLPSchema


class ResidMLPBlock(nn.Module):
    def __init__(self, d_embed: int, d_mlp: int) -> None:
        super().__init__()
        self.mlp_in = nn.Linear(d_embed, d_mlp, bias=False)
        self.mlp_out = nn.Linear(d_mlp, d_embed, bias=False)


class ResidMLP(nn.Module):
    """``layers.i.mlp_in`` and ``layers.i.mlp_out`` are the decomposable matrices."""

    #: its forward carries extra leading dimensions, so SPD stacks its masked passes
    supports_stacked_passes = True

    # buffer registered in __init__ (declared so that it reads as a tensor, not as a Module)
    W_E: torch.Tensor

    def __init__(
        self, n_features: int, d_embed: int, d_mlp: int, n_layers: int, embed_seed: int = 0
    ) -> None:
        super().__init__()
        self.n_features, self.d_embed, self.d_mlp, self.n_layers = (
            n_features,
            d_embed,
            d_mlp,
            n_layers,
        )
        gen = torch.Generator().manual_seed(embed_seed)
        w_e = torch.randn(n_features, d_embed, generator=gen)
        self.register_buffer("W_E", w_e / w_e.norm(dim=1, keepdim=True))
        self.layers = nn.ModuleList(ResidMLPBlock(d_embed, d_mlp) for _ in range(n_layers))
        self.tied: dict[str, str] = {}
        # an all-zero input reaches every decomposable matrix as zeros (SPD skips such rows' work)
        self.zero_input_fixed_point = True

    def weights(self) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        for i, block in enumerate(self.layers):
            assert isinstance(block, ResidMLPBlock)
            out[f"layers.{i}.mlp_in"] = block.mlp_in.weight
            out[f"layers.{i}.mlp_out"] = block.mlp_out.weight
        return out

    def forward_with(self, x: torch.Tensor, apply: LinearApply) -> torch.Tensor:
        resid = embed(apply, x, self.W_E)
        last = self.n_layers - 1
        for i in range(last):
            hidden = torch.relu(apply(f"layers.{i}.mlp_in", resid))
            resid = resid + apply(f"layers.{i}.mlp_out", hidden)
        hidden = torch.relu(apply(f"layers.{last}.mlp_in", resid))
        return residual_readout(apply, f"layers.{last}.mlp_out", hidden, resid, self.W_E.T)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_with(x, plain_apply(self.weights()))

    def expected_ci_patterns(self) -> dict[str, tuple[str, int]]:
        """mlp_in: one subcomponent per feature; mlp_out: one dense rank-d_mlp block."""
        patterns: dict[str, tuple[str, int]] = {}
        for i in range(self.n_layers):
            patterns[f"layers.{i}.mlp_in"] = ("identity", self.n_features)
            patterns[f"layers.{i}.mlp_out"] = ("dense", self.d_mlp)
        return patterns


@register_model("resid_mlp", ResidMLPSchema, recipe="resid_mlp")
def build_resid_mlp(cfg: ResidMLPSchema) -> ResidMLP:
    """The ResidMLP a ``model=resid_mlp*`` config describes (embedding of seed 0; a trained one
    brings its own in its state dict)."""
    return ResidMLP(cfg.n_features, cfg.d_embed, cfg.d_mlp, cfg.n_layers)
