"""Schema of ``model=mlp``: a BIMT-capable multilayer perceptron, neurons at positions in space."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictInt, StrictStr, model_validator

from subnetlab.schemas.base import require, schema
from subnetlab.schemas.models import SupervisedRecipe
from subnetlab.schemas.registry import register


@register("model", "mlp")
@schema
class MLPSchema:
    """A layered MLP (pair it with a dataset, e.g. ``experiment=bimt_*``); with ``vocab_size``
    and ``embed_dim`` its inputs are tokens through a learned embedding."""

    name: StrictStr = Field("mlp", description="the model family")
    widths: list[Annotated[StrictInt, Field(ge=1)]] = Field(
        default_factory=lambda: [4, 20, 20, 2],
        min_length=2,
        description="neurons per layer, inputs first (with an embedding: n_tokens × embed_dim)",
    )
    activation: Literal["silu", "relu", "gelu", "tanh", "identity"] = Field(
        "silu", description="hidden-layer nonlinearity"
    )
    vocab_size: StrictInt | None = Field(
        None, ge=2, description="token inputs: vocabulary size (set with embed_dim)"
    )
    embed_dim: StrictInt | None = Field(
        None, ge=1, description="token inputs: embedding width, a divisor of widths[0]"
    )
    geometry: Literal["line", "grid"] = Field(
        "line", description="line | grid (image grid in, 2-D hidden grids, outputs on a ring)"
    )
    image_shape: list[Annotated[StrictInt, Field(ge=1)]] | None = Field(
        None, description="[rows, cols] of the input grid for geometry=grid"
    )
    recipe: SupervisedRecipe | None = Field(
        None,
        description="how method=train trains it on an image dataset; null: no recipe (e.g. "
        "BIMT trains it itself)",
    )

    @model_validator(mode="after")
    def _inputs_fit_the_first_layer(self) -> MLPSchema:
        widths = self.widths
        require(
            (self.vocab_size is None) == (self.embed_dim is None),
            "embed_dim",
            self.embed_dim,
            "set together with vocab_size (both null for feature inputs)",
        )
        if self.embed_dim is not None:
            require(
                widths[0] % self.embed_dim == 0,
                "embed_dim",
                self.embed_dim,
                f"a positive divisor of widths[0]={widths[0]}",
            )
        if self.image_shape is not None:
            shape = self.image_shape
            require(
                len(shape) == 2 and shape[0] * shape[1] == widths[0],
                "image_shape",
                shape,
                f"[rows, cols] with rows * cols = widths[0] = {widths[0]}",
            )
        return self

    def model_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``subnetlab.models.mlp.MLP``."""
        return {
            "widths": list(self.widths),
            "activation": self.activation,
            "vocab_size": self.vocab_size,
            "embed_dim": self.embed_dim,
            "geometry": self.geometry,
            "image_shape": tuple(self.image_shape) if self.image_shape else None,
        }
