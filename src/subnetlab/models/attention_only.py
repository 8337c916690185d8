"""A small attention-only decoder transformer (``model=attn_only``), the induction-head target.

Token embedding (``nn.Embedding``) plus fixed sinusoidal positions, ``n_layers`` residual blocks
of causal multi-head attention and nothing else (no MLPs), an optional LayerNorm before each
attention and before the unembedding, and a linear unembedding. Two layers of attention are the
smallest model that forms induction heads: a previous-token head in layer 0 writes "the token
before me" into each position, and an induction head in layer 1 finds the position after the
earlier occurrence of the current token through it and copies that position's token (Elhage et
al. 2021, "A Mathematical Framework for Transformer Circuits", §"Induction heads"; Olsson et al.
2022, arXiv:2209.11895, §2).

Each attention keeps its query, key, value and output maps as separate bias-free ``nn.Linear``
modules (``blocks.<i>.attn.q`` / ``k`` / ``v`` / ``o``), so a parameter decomposition can pick
each matrix by name, and each matrix splits cleanly by head: head h owns output rows
``h·d_head … (h+1)·d_head − 1`` of q, k and v and the same input columns of o
(``head_slices``). No biases: a bias is not a matrix a decomposition splits into rank-one parts,
and every head-level quantity then lives in the four weight matrices alone.

Positions are the fixed sinusoids of Vaswani et al. 2017 (arXiv:1706.03762, §3.5), not learned:
the encoding of position t − 1 is a fixed rotation of that of t, so one query/key map attends to
the previous token at every position at once, and the positional part of the target is known
exactly and is no parameter (nothing a decomposition has to account for). Measured on
``dataset=repeated_tokens``: at lr 1e-2 learned positions formed no induction heads within 3000
steps (two seeds) where sinusoids did in five runs of seven (3000–4000 steps); at the default lr
2e-2 both formed them within 500–1000 steps (learned: two seeds; sinusoids: six of six).

This file is the whole model: its schema, its class and its registration (trained by the
``sequence`` recipe); ``conf/model/attn_only.yaml`` is its config.
"""

from __future__ import annotations

import math
from typing import cast

import torch
from pydantic import Field, StrictBool, StrictInt, StrictStr, model_validator
from torch import nn

from subnetlab.models.transformer import require_sizes
from subnetlab.registry import register_model
from subnetlab.schemas.base import from_dict, schema
from subnetlab.schemas.models import SupervisedRecipe, require_heads_divide_width
from subnetlab.schemas.registry import register


@register("model", "attn_only")
@schema
class AttnOnlySchema:
    """Attention-only decoder transformer (no MLPs), separate q/k/v/o matrices per layer;
    ``vocab_size`` and ``n_ctx`` must cover the dataset's tokens and sequence length (checked
    when it is trained). The defaults form a previous-token head in layer 0 and an induction
    head in layer 1 on ``dataset=repeated_tokens``."""

    name: StrictStr = Field("attn_only", description="the model family")
    vocab_size: StrictInt = Field(64, ge=1, description="≥ the dataset's vocabulary")
    n_ctx: StrictInt = Field(32, ge=1, description="≥ the dataset's sequence length")
    d_model: StrictInt = Field(32, ge=1, description="residual stream width")
    n_heads: StrictInt = Field(2, ge=1, description="attention heads per layer (divides d_model)")
    n_layers: StrictInt = Field(2, ge=1, description="attention layers")
    layer_norm: StrictBool = Field(
        False, description="LayerNorm before each attention and before the unembedding"
    )
    recipe: SupervisedRecipe = Field(
        # on repeated_tokens: induction accuracy 0.996 (loss 0.07 nats) where induction applies,
        # a previous-token head (0.93) and induction heads (0.95, 0.82); ≈ 20 s on one CPU core
        default_factory=lambda: from_dict(
            SupervisedRecipe,
            {"steps": 3000, "batch_size": 64, "lr": 2e-2, "weight_decay": 0.01},
        ),
        description="how method=train trains it on a sequence dataset (the supervised recipe)",
    )

    @model_validator(mode="after")
    def _heads_divide_the_width(self) -> AttnOnlySchema:
        require_heads_divide_width(self.n_heads, self.d_model)
        return self


def sinusoidal_positions(n_ctx: int, d_model: int) -> torch.Tensor:
    """(n_ctx, d_model) position encodings: feature 2i of position t is sin(t·ω_i), feature
    2i + 1 is cos(t·ω_i), with ω_i = 10000^(−2i/d_model) (arXiv:1706.03762, §3.5); an odd
    ``d_model`` drops the last cosine."""
    pairs = (d_model + 1) // 2
    frequencies = torch.exp(-math.log(10000.0) * torch.arange(pairs) * 2 / d_model)
    angles = torch.arange(n_ctx)[:, None] * frequencies[None, :]
    return torch.stack([angles.sin(), angles.cos()], dim=-1).reshape(n_ctx, 2 * pairs)[:, :d_model]


class CausalAttention(nn.Module):
    """Multi-head causal self-attention with separate bias-free q, k, v, o maps.

    Position t attends to positions ≤ t; scores are scaled by 1/√d_head. Head h reads and writes
    the slice ``head_slices()[h]`` of the q/k/v outputs and of o's inputs.
    """

    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model} must be divisible by n_heads={n_heads}")
        self.n_heads = n_heads
        self.d_head = d_model // n_heads
        self.q = nn.Linear(d_model, d_model, bias=False)
        self.k = nn.Linear(d_model, d_model, bias=False)
        self.v = nn.Linear(d_model, d_model, bias=False)
        self.o = nn.Linear(d_model, d_model, bias=False)

    def head_slices(self) -> list[slice]:
        """Head h's slice of the q/k/v output features and of o's input features."""
        return [slice(h * self.d_head, (h + 1) * self.d_head) for h in range(self.n_heads)]

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, H·d_head) → (B, H, T, d_head)."""
        batch, length, _ = x.shape
        return x.reshape(batch, length, self.n_heads, self.d_head).transpose(1, 2)

    def pattern(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, D) → attention probabilities (B, H, T_query, T_key); each row sums to 1
        over keys ≤ its query position and is 0 above it."""
        q, k = self._split_heads(self.q(x)), self._split_heads(self.k(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.d_head)
        length = x.shape[1]
        future = torch.ones(length, length, dtype=torch.bool, device=x.device).triu(1)
        return scores.masked_fill(future, float("-inf")).softmax(dim=-1)

    def forward_with_pattern(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, T, D) → (the attention's output (B, T, D), its pattern (B, H, T, T))."""
        pattern = self.pattern(x)
        mixed = pattern @ self._split_heads(self.v(x))
        batch, _, length, _ = mixed.shape
        return self.o(mixed.transpose(1, 2).reshape(batch, length, -1)), pattern

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, D) → (B, T, D)."""
        return self.forward_with_pattern(x)[0]


class AttentionBlock(nn.Module):
    """Residual attention block: x + attn(LN(x)) (LN the identity without ``layer_norm``)."""

    def __init__(self, d_model: int, n_heads: int, layer_norm: bool) -> None:
        super().__init__()
        self.ln = nn.LayerNorm(d_model) if layer_norm else nn.Identity()
        self.attn = CausalAttention(d_model, n_heads)

    def forward_with_pattern(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, T, D) residual stream → (the stream after the block, the pattern (B, H, T, T))."""
        out, pattern = self.attn.forward_with_pattern(self.ln(x))
        return x + out, pattern

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_with_pattern(x)[0]


class AttentionOnlyTransformer(nn.Module):
    """Decoder-only, attention-only transformer over token ids: (B, T) long → (B, T, V) logits.

    Args:
        vocab_size: number of token ids (inputs and output classes).
        n_ctx: longest sequence (rows of the fixed position encodings).
        d_model, n_heads: residual width and heads per layer (d_head = d_model / n_heads).
        n_layers: attention blocks (``blocks.0`` … in depth order).
        layer_norm: a LayerNorm before each attention and before the unembedding.

    Raises:
        ValueError: a size below 1, or ``d_model`` not divisible by ``n_heads``.
    """

    #: (n_ctx, d_model) fixed sinusoidal position encodings (a buffer)
    positions: torch.Tensor

    def __init__(
        self,
        vocab_size: int,
        n_ctx: int,
        d_model: int,
        n_heads: int,
        n_layers: int,
        layer_norm: bool = False,
    ) -> None:
        super().__init__()
        require_sizes(
            vocab_size=vocab_size, n_ctx=n_ctx, d_model=d_model, n_heads=n_heads, n_layers=n_layers
        )
        self.n_ctx, self.n_heads = n_ctx, n_heads
        self.token_embed = nn.Embedding(vocab_size, d_model)
        # a fixed function of (n_ctx, d_model): not a parameter, not saved with the weights
        self.register_buffer("positions", sinusoidal_positions(n_ctx, d_model), persistent=False)
        self.blocks = nn.ModuleList(
            AttentionBlock(d_model, n_heads, layer_norm) for _ in range(n_layers)
        )
        self.ln_final = nn.LayerNorm(d_model) if layer_norm else nn.Identity()
        self.unembed = nn.Linear(d_model, vocab_size, bias=False)
        nn.init.normal_(self.token_embed.weight, std=0.02)

    @property
    def n_layers(self) -> int:
        return len(self.blocks)

    def block_names(self) -> list[str]:
        """Module names of the block outputs in depth order (the GW layers)."""
        return [f"blocks.{i}" for i in range(self.n_layers)]

    def attention_matrix_names(self) -> list[str]:
        """Module names of every attention matrix, layer by layer: ``blocks.0.attn.q``, …,
        ``blocks.<n_layers−1>.attn.o``."""
        return [f"blocks.{i}.attn.{m}" for i in range(self.n_layers) for m in "qkvo"]

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens: (B, T) long → (B, T, D) residual stream before the first block."""
        if tokens.dim() != 2:
            raise ValueError(f"tokens must be (batch, seq) ids; got shape {tuple(tokens.shape)}")
        if tokens.shape[1] > self.n_ctx:
            raise ValueError(f"sequence length {tokens.shape[1]} exceeds n_ctx={self.n_ctx}")
        return self.token_embed(tokens) + self.positions[: tokens.shape[1]]

    def forward_with_patterns(
        self, tokens: torch.Tensor
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """tokens: (B, T) long → (logits (B, T, V), each layer's attention pattern (B, H, T, T))."""
        h = self.embed(tokens)
        patterns = []
        for block in cast(list[AttentionBlock], self.blocks):
            h, pattern = block.forward_with_pattern(h)
            patterns.append(pattern)
        return self.unembed(self.ln_final(h)), patterns

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens: (B, T) long → logits (B, T, vocab_size). Each block runs as a module call, so
        forward hooks on ``blocks.<i>`` (GW's layer outputs) see it."""
        h = self.embed(tokens)
        for block in self.blocks:
            h = block(h)
        return self.unembed(self.ln_final(h))

    @torch.no_grad()
    def attention_patterns(self, tokens: torch.Tensor) -> list[torch.Tensor]:
        """Each layer's attention probabilities on ``tokens`` (B, T): a list of n_layers tensors
        (B, H, T_query, T_key), without gradients."""
        return self.forward_with_patterns(tokens)[1]


@register_model("attn_only", AttnOnlySchema, recipe="sequence")
def build_attn_only(cfg: AttnOnlySchema) -> AttentionOnlyTransformer:
    """The network a ``model=attn_only`` config describes."""
    return AttentionOnlyTransformer(
        cfg.vocab_size, cfg.n_ctx, cfg.d_model, cfg.n_heads, cfg.n_layers, cfg.layer_norm
    )
