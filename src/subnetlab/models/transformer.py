"""A small decoder-only transformer: token + learned position embeddings, pre-LN residual blocks
with causal self-attention and a GELU MLP, a final LayerNorm and an unembedding."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from subnetlab.registry import register_model
from subnetlab.schemas.models import TransformerSchema


def require_sizes(**sizes: int) -> None:
    """Raise ValueError naming the first size below 1 (a model's widths, counts, lengths)."""
    for key, value in sizes.items():
        if value < 1:
            raise ValueError(f"{key}={value} must be an integer >= 1")


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where position t attends to positions ≤ t only."""

    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model} must be divisible by n_heads={n_heads}")
        self.n_heads = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, D) → (B, T, D)."""
        batch, length, width = x.shape
        q, k, v = self.qkv(x).split(width, dim=-1)
        heads = (batch, length, self.n_heads, width // self.n_heads)
        q, k, v = (t.reshape(heads).transpose(1, 2) for t in (q, k, v))
        mixed = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.out(mixed.transpose(1, 2).reshape(batch, length, width))


class Block(nn.Module):
    """Pre-LN residual block: x + attn(LN(x)), then + mlp(LN(x)). Its output is a GW layer."""

    def __init__(self, d_model: int, n_heads: int, d_mlp: int) -> None:
        super().__init__()
        self.ln_attn = nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_heads)
        self.ln_mlp = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, d_mlp), nn.GELU(), nn.Linear(d_mlp, d_model))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, D) residual stream → (B, T, D)."""
        x = x + self.attn(self.ln_attn(x))
        return x + self.mlp(self.ln_mlp(x))


class Transformer(nn.Module):
    """Decoder-only transformer over token ids.

    Args:
        vocab_size: number of token ids (inputs and output classes).
        n_ctx: longest sequence (learned positions).
        d_model, n_heads, d_mlp: residual width, attention heads, MLP hidden width.
        n_layers: number of residual blocks (``blocks.0`` … in depth order).
    """

    def __init__(
        self, vocab_size: int, n_ctx: int, d_model: int, n_heads: int, d_mlp: int, n_layers: int
    ) -> None:
        super().__init__()
        require_sizes(
            vocab_size=vocab_size,
            n_ctx=n_ctx,
            d_model=d_model,
            n_heads=n_heads,
            d_mlp=d_mlp,
            n_layers=n_layers,
        )
        self.n_ctx = n_ctx
        self.token_embed = nn.Embedding(vocab_size, d_model)
        self.pos_embed = nn.Parameter(torch.randn(n_ctx, d_model) * 0.02)
        self.blocks = nn.ModuleList(Block(d_model, n_heads, d_mlp) for _ in range(n_layers))
        self.ln_final = nn.LayerNorm(d_model)
        self.unembed = nn.Linear(d_model, vocab_size)
        nn.init.normal_(self.token_embed.weight, std=0.02)

    @property
    def n_layers(self) -> int:
        return len(self.blocks)

    def block_names(self) -> list[str]:
        """Module names of the block outputs in depth order (the default GW layers)."""
        return [f"blocks.{i}" for i in range(self.n_layers)]

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens: (B, T) long → (B, T, D) residual stream before the first block."""
        if tokens.dim() != 2:
            raise ValueError(f"tokens must be (batch, seq) ids; got shape {tuple(tokens.shape)}")
        if tokens.shape[1] > self.n_ctx:
            raise ValueError(f"sequence length {tokens.shape[1]} exceeds n_ctx={self.n_ctx}")
        return self.token_embed(tokens) + self.pos_embed[: tokens.shape[1]]

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens: (B, T) long → logits (B, T, vocab_size)."""
        h = self.embed(tokens)
        for block in self.blocks:
            h = block(h)
        return self.unembed(self.ln_final(h))


@register_model("transformer", TransformerSchema, recipe="sequence")
def build_transformer(cfg: TransformerSchema) -> Transformer:
    """The transformer a ``model=transformer`` config describes."""
    return Transformer(cfg.vocab_size, cfg.n_ctx, cfg.d_model, cfg.n_heads, cfg.d_mlp, cfg.n_layers)
