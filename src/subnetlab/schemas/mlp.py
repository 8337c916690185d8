"""Schema of ``model=mlp``: a BIMT-capable multilayer perceptron."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from subnetlab.schemas.base import require
from subnetlab.schemas.models import SupervisedRecipe
from subnetlab.schemas.registry import register

ACTIVATIONS = ("silu", "relu", "gelu", "tanh", "identity")


@register("model", "mlp")
@dataclass
class MLPSchema:
    """widths: neurons per layer, inputs first (with an embedding, widths[0] = n_tokens *
    embed_dim); vocab_size/embed_dim: optional learned token embedding; geometry: neuron layout
    (line: 1-D layers; grid: image grid in, 2-D hidden grids, outputs on a ring); recipe: how
    ``method=train`` and the seed-identification experiment train it on an image dataset
    (null: no recipe, e.g. BIMT trains it itself)."""

    name: str = "mlp"
    widths: list[int] | None = None
    activation: str = "silu"
    vocab_size: int | None = None
    embed_dim: int | None = None
    geometry: Literal["line", "grid"] = "line"
    image_shape: list[int] | None = None
    recipe: SupervisedRecipe | None = None

    def __post_init__(self) -> None:
        widths = self.widths
        require(
            widths is not None and len(widths) >= 2 and all(w >= 1 for w in widths),
            "widths",
            widths,
            "a list of at least two layer widths ≥ 1",
        )
        require(self.activation in ACTIVATIONS, "activation", self.activation, str(ACTIVATIONS))
        require(
            (self.vocab_size is None) == (self.embed_dim is None),
            "embed_dim",
            self.embed_dim,
            "set together with vocab_size (both null for feature inputs)",
        )
        if self.vocab_size is not None:
            require(self.vocab_size >= 2, "vocab_size", self.vocab_size, "an integer ≥ 2")
            require(
                self.embed_dim is not None
                and self.embed_dim >= 1
                and widths is not None
                and widths[0] % self.embed_dim == 0,
                "embed_dim",
                self.embed_dim,
                f"a positive divisor of widths[0]={widths[0] if widths else None}",
            )
        if self.image_shape is not None:
            shape = self.image_shape
            require(
                len(shape) == 2
                and all(s >= 1 for s in shape)
                and widths is not None
                and shape[0] * shape[1] == widths[0],
                "image_shape",
                shape,
                f"[rows, cols] with rows * cols = widths[0] = {widths[0] if widths else None}",
            )

    def model_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``subnetlab.models.mlp.MLP``."""
        return {
            "widths": list(self.widths or []),
            "activation": self.activation,
            "vocab_size": self.vocab_size,
            "embed_dim": self.embed_dim,
            "geometry": self.geometry,
            "image_shape": tuple(self.image_shape) if self.image_shape else None,
        }
