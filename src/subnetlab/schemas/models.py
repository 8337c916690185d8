"""Schemas of the toy targets (``model/``) and their training recipes."""

from __future__ import annotations

from pydantic import Field, StrictFloat, StrictInt, StrictStr, model_validator

from subnetlab.schemas.base import require, schema
from subnetlab.schemas.registry import register


@schema
class TMSRecipe:
    """The paper's recipe (AdamW, constant lr) plus how many candidates are trained at once;
    the best one reconstructing every feature is kept."""

    steps: StrictInt = Field(10_000, ge=1, description="training steps")
    batch_size: StrictInt = Field(1024, ge=1, description="fresh sparse-feature draws per step")
    lr: StrictFloat = Field(5e-3, gt=0, description="AdamW learning rate (constant)")
    weight_decay: StrictFloat = Field(0.01, ge=0, description="AdamW weight decay")
    n_candidates: StrictInt = Field(
        4, ge=1, description="initialisations trained at once; the best healthy one is kept"
    )
    probe_tolerance: StrictFloat = Field(
        0.3,
        gt=0,
        lt=0.75,
        description="a feature counts as reconstructed within this of its one-hot probe value",
    )


@register("model", "tms")
@schema
class TMSSchema:
    """Toy model of superposition: x̂ = ReLU(WᵀWx + b), W ∈ R^{n_hidden×n_features}, tied
    weights; optional fixed identity hidden layers."""

    name: StrictStr = Field("tms", description="the model family")
    n_features: StrictInt = Field(5, ge=2, description="input and output features")
    n_hidden: StrictInt = Field(2, ge=1, description="hidden dimensions (rows of W)")
    n_hidden_layers: StrictInt = Field(
        0, ge=0, description="fixed identity layers (n_hidden × n_hidden) between W and Wᵀ"
    )
    recipe: TMSRecipe = Field(default_factory=TMSRecipe, description="training recipe")


@schema
class ResidMLPRecipe:
    """The paper's recipe: AdamW, cosine lr decay."""

    steps: StrictInt = Field(1000, ge=1, description="training steps")
    batch_size: StrictInt = Field(2048, ge=1, description="fresh sparse-feature draws per step")
    lr: StrictFloat = Field(3e-3, gt=0, description="AdamW peak learning rate (cosine decay)")
    weight_decay: StrictFloat = Field(0.01, ge=0, description="AdamW weight decay")


@register("model", "resid_mlp")
@schema
class ResidMLPSchema:
    """ResidMLP: n_features features embedded in a d_embed-wide residual stream, n_layers ReLU
    MLPs of d_mlp neurons each, no biases."""

    name: StrictStr = Field("resid_mlp", description="the model family")
    n_features: StrictInt = Field(100, ge=1, description="input and output features")
    d_embed: StrictInt = Field(1000, ge=1, description="residual stream width")
    d_mlp: StrictInt = Field(50, ge=1, description="neurons per MLP")
    n_layers: StrictInt = Field(1, ge=1, description="MLP layers")
    recipe: ResidMLPRecipe = Field(default_factory=ResidMLPRecipe, description="training recipe")


@schema
class SupervisedRecipe:
    """AdamW (β = 0.9, 0.98) with linear warm-up, then cosine decay to 0; minibatches of the
    train split (the transformer's and the MLP classifiers' recipe)."""

    steps: StrictInt = Field(2000, ge=1, description="training steps")
    batch_size: StrictInt = Field(256, ge=1, description="minibatch size")
    lr: StrictFloat = Field(1e-3, gt=0, description="AdamW peak learning rate")
    weight_decay: StrictFloat = Field(1.0, ge=0, description="AdamW weight decay")
    warmup_steps: StrictInt = Field(100, ge=0, description="linear warm-up steps")


@register("model", "transformer")
@schema
class TransformerSchema:
    """Small decoder-only transformer (pre-LN blocks, causal attention); ``vocab_size`` and
    ``n_ctx`` must cover the dataset's tokens and sequence length (checked when it is trained).
    Its block outputs are the GW layers."""

    name: StrictStr = Field("transformer", description="the model family")
    vocab_size: StrictInt = Field(
        60, ge=1, description="≥ the dataset's vocabulary (p + 1; 96 for char_lm)"
    )
    n_ctx: StrictInt = Field(
        3, ge=1, description="≥ the dataset's sequence length (3; char_lm: its context)"
    )
    d_model: StrictInt = Field(64, ge=1, description="residual stream width")
    n_heads: StrictInt = Field(4, ge=1, description="attention heads (divides d_model)")
    d_mlp: StrictInt = Field(256, ge=1, description="MLP hidden width")
    n_layers: StrictInt = Field(6, ge=1, description="transformer blocks")
    recipe: SupervisedRecipe = Field(
        default_factory=SupervisedRecipe, description="training recipe"
    )

    @model_validator(mode="after")
    def _heads_divide_the_width(self) -> TransformerSchema:
        require_heads_divide_width(self.n_heads, self.d_model)
        return self


def require_heads_divide_width(n_heads: int, d_model: int) -> None:
    """ConfigError on ``n_heads`` unless it divides ``d_model`` (each head gets d_model / n_heads
    features)."""
    require(d_model % n_heads == 0, "n_heads", n_heads, f"a divisor of d_model={d_model}")
