"""Schemas of the toy targets (``model/``) and their training recipes."""

from __future__ import annotations

from dataclasses import dataclass, field

from subnetlab.schemas.base import require
from subnetlab.schemas.registry import register


@dataclass
class TMSRecipe:
    """Paper recipe (AdamW, constant lr) plus how many candidates are trained at once."""

    steps: int = 10_000
    batch_size: int = 1024
    lr: float = 5e-3
    weight_decay: float = 0.01
    n_candidates: int = 4
    probe_tolerance: float = 0.3

    def __post_init__(self) -> None:
        require(self.steps >= 1, "steps", self.steps, "an integer ≥ 1")
        require(self.batch_size >= 1, "batch_size", self.batch_size, "an integer ≥ 1")
        require(self.lr > 0, "lr", self.lr, "a number > 0")
        require(self.weight_decay >= 0, "weight_decay", self.weight_decay, "a number ≥ 0")
        require(self.n_candidates >= 1, "n_candidates", self.n_candidates, "an integer ≥ 1")
        require(
            0 < self.probe_tolerance < 0.75,
            "probe_tolerance",
            self.probe_tolerance,
            "a number in (0, 0.75)",
        )


@register("model", "tms")
@dataclass
class TMSSchema:
    name: str = "tms"
    n_features: int = 5
    n_hidden: int = 2
    n_hidden_layers: int = 0
    recipe: TMSRecipe = field(default_factory=TMSRecipe)

    def __post_init__(self) -> None:
        require(self.n_features >= 2, "n_features", self.n_features, "an integer ≥ 2")
        require(self.n_hidden >= 1, "n_hidden", self.n_hidden, "an integer ≥ 1")
        require(
            self.n_hidden_layers >= 0, "n_hidden_layers", self.n_hidden_layers, "an integer ≥ 0"
        )


@dataclass
class ResidMLPRecipe:
    steps: int = 1000
    batch_size: int = 2048
    lr: float = 3e-3
    weight_decay: float = 0.01

    def __post_init__(self) -> None:
        require(self.steps >= 1, "steps", self.steps, "an integer ≥ 1")
        require(self.batch_size >= 1, "batch_size", self.batch_size, "an integer ≥ 1")
        require(self.lr > 0, "lr", self.lr, "a number > 0")
        require(self.weight_decay >= 0, "weight_decay", self.weight_decay, "a number ≥ 0")


@register("model", "resid_mlp")
@dataclass
class ResidMLPSchema:
    name: str = "resid_mlp"
    n_features: int = 100
    d_embed: int = 1000
    d_mlp: int = 50
    n_layers: int = 1
    recipe: ResidMLPRecipe = field(default_factory=ResidMLPRecipe)

    def __post_init__(self) -> None:
        for key in ("n_features", "d_embed", "d_mlp", "n_layers"):
            value = getattr(self, key)
            require(value >= 1, key, value, "an integer ≥ 1")


@dataclass
class SupervisedRecipe:
    """AdamW (β = 0.9, 0.98) with linear warm-up, then cosine decay to 0; minibatches of the
    train split (the transformer's and the MLP classifiers' recipe)."""

    steps: int = 2000
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 1.0
    warmup_steps: int = 100

    def __post_init__(self) -> None:
        require(self.steps >= 1, "steps", self.steps, "an integer ≥ 1")
        require(self.batch_size >= 1, "batch_size", self.batch_size, "an integer ≥ 1")
        require(self.lr > 0, "lr", self.lr, "a number > 0")
        require(self.weight_decay >= 0, "weight_decay", self.weight_decay, "a number ≥ 0")
        require(self.warmup_steps >= 0, "warmup_steps", self.warmup_steps, "an integer ≥ 0")


@register("model", "transformer")
@dataclass
class TransformerSchema:
    """Small decoder-only transformer; ``vocab_size`` and ``n_ctx`` must cover the dataset's
    tokens and sequence length (checked when it is trained)."""

    name: str = "transformer"
    vocab_size: int = 60
    n_ctx: int = 3
    d_model: int = 64
    n_heads: int = 4
    d_mlp: int = 256
    n_layers: int = 6
    recipe: SupervisedRecipe = field(default_factory=SupervisedRecipe)

    def __post_init__(self) -> None:
        for key in ("vocab_size", "n_ctx", "d_model", "n_heads", "d_mlp", "n_layers"):
            value = getattr(self, key)
            require(value >= 1, key, value, "an integer ≥ 1")
        require(
            self.d_model % self.n_heads == 0,
            "n_heads",
            self.n_heads,
            f"a divisor of d_model={self.d_model}",
        )
