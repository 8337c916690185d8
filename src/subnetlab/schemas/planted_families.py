"""Schema of ``model=planted_families``: a network whose layers form planted families, the known
answer GW layer grouping is scored against."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictFloat, StrictInt, StrictStr, model_validator

from subnetlab.schemas.base import MAX_SEED, require, schema
from subnetlab.schemas.registry import register


@register("model", "planted_families")
@schema
class PlantedFamiliesSchema:
    """A feed-forward network whose layers form families at chosen spacings
    (``models/planted_families.py``); its weights come from this config and ``seed`` (nothing is
    trained), and it carries the family of each layer, which ``method=gw`` scores its groups
    against (adjusted Rand index). Unless ``family_sizes`` / ``spacing`` are given, there are
    ``n_families`` families of ``layers_per_family`` layers, spaced near, far, near, … (families
    0 and 1 close, 2 and 3 close, each pair far from the next)."""

    name: StrictStr = Field("planted_families", description="the model family")
    n_families: StrictInt = Field(3, ge=1, description="planted layer families")
    layers_per_family: StrictInt = Field(4, ge=1, description="layers of each family")
    family_sizes: list[Annotated[StrictInt, Field(ge=1)]] | None = Field(
        None, description="layers of each family (n_families values); null = layers_per_family"
    )
    near_spacing: StrictFloat = Field(
        0.2,
        gt=0,
        le=1,
        description="spacing of families 0-1, 2-3, …: the share of their squared distances that "
        "is new",
    )
    far_spacing: StrictFloat = Field(
        1.0, gt=0, le=1, description="spacing between families 1-2, 3-4, … (1 = unrelated)"
    )
    spacing: list[Annotated[StrictFloat, Field(gt=0, le=1)]] | None = Field(
        None,
        description="spacing of each two consecutive families (n_families − 1 values in (0, 1]); "
        "null: near, far, …",
    )
    within_noise: StrictFloat = Field(
        0.2,
        ge=0,
        description="size ν of each layer's own perturbation (within-family GW grows about as ν⁴; "
        "0 = exact isometries)",
    )
    d_in: StrictInt = Field(16, ge=1, description="input width (the probes' width)")
    width: StrictInt = Field(
        64, ge=1, description="features each family opener adds, and each layer's perturbation"
    )
    gain: StrictFloat = Field(
        3.0, gt=0, description="scale of the tanh maps' weights (larger: geometries more distinct)"
    )
    seed: StrictInt = Field(0, ge=0, le=MAX_SEED, description="the planted weights' seed")

    @model_validator(mode="after")
    def _families_fit(self) -> PlantedFamiliesSchema:
        if self.family_sizes is not None:
            require(
                len(self.family_sizes) == self.n_families,
                "family_sizes",
                self.family_sizes,
                f"{self.n_families} values (n_families), or null",
            )
        if self.spacing is not None:
            require(
                len(self.spacing) == self.n_families - 1,
                "spacing",
                self.spacing,
                f"{self.n_families - 1} values (n_families − 1), or null",
            )
        require(
            sum(self.sizes()) >= 2,
            "layers_per_family",
            self.layers_per_family,
            "at least two layers in all (GW compares layers)",
        )
        return self

    def sizes(self) -> list[int]:
        """Layers of each family."""
        if self.family_sizes is not None:
            return list(self.family_sizes)
        return [self.layers_per_family] * self.n_families

    def spacings(self) -> list[float]:
        """Spacing between each two consecutive families (n_families − 1 values)."""
        if self.spacing is not None:
            return list(self.spacing)
        return [
            self.near_spacing if gap % 2 == 0 else self.far_spacing
            for gap in range(self.n_families - 1)
        ]
