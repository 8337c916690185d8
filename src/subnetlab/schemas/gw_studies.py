"""Schemas of the GW studies (``study=gw_seed_identification``, ``study=gw_compression``): the
study's own knobs; the GW analysis takes ``method=gw``'s."""

from __future__ import annotations

from pydantic import Field, StrictFloat, StrictInt, StrictStr, model_validator

from subnetlab.schemas.base import MAX_SEED, require, schema
from subnetlab.schemas.registry import register


@register("study", "gw_seed_identification")
@schema
class GWSeedIdentificationSchema:
    """Train ``n_seeds`` models of the configured architecture (``method=train`` stages, seeds
    ``first_seed`` … ``first_seed + n_seeds − 1``), then score how often each layer's nearest
    layer in another seed is its counterpart (Kornblith et al. 2019, arXiv:1905.00414)."""

    name: StrictStr = Field("gw_seed_identification", description="the study option")
    n_seeds: StrictInt = Field(3, ge=2, description="K, the number of models trained")
    first_seed: StrictInt = Field(0, ge=0, le=MAX_SEED, description="seed of the first model")

    @model_validator(mode="after")
    def _seeds_in_range(self) -> GWSeedIdentificationSchema:
        last = self.first_seed + self.n_seeds - 1
        require(last <= MAX_SEED, "first_seed", self.first_seed, f"≤ {MAX_SEED - self.n_seeds + 1}")
        return self


@register("study", "gw_compression")
@schema
class GWCompressionSchema:
    """GW groups of a residual sequence model, then removing blocks (GW group interiors vs random
    vs contiguous) and fine-tuning each group vs all blocks (``method=finetune`` stages) on the
    task with every label shifted by ``label_shift``."""

    name: StrictStr = Field("gw_compression", description="the study option")
    random_draws: StrictInt = Field(
        10, ge=1, description="random block subsets per number of removed blocks"
    )
    finetune_steps: StrictInt = Field(300, ge=1, description="AdamW steps of each fine-tuning")
    finetune_lr: StrictFloat = Field(1e-3, gt=0, description="fine-tuning learning rate")
    label_shift: StrictInt = Field(
        1, ge=0, description="fine-tune on targets (c + shift) mod vocab; 0 = the training task"
    )


@register("study", "gw_planted")
@schema
class GWPlantedSchema:
    """A network whose layers form planted families (``methods/gw/planted_families.py``), grouped
    by GW (``method=gw``'s settings) and scored by the adjusted Rand index against the families.
    Unless ``family_sizes`` / ``spacing`` are given, there are ``n_families`` families of
    ``layers_per_family`` layers, spaced near, far, near, … (families 0 and 1 close, 2 and 3
    close, each pair far from the next)."""

    name: StrictStr = Field("gw_planted", description="the study option")
    n_families: StrictInt = Field(3, ge=1, description="planted layer families")
    layers_per_family: StrictInt = Field(4, ge=1, description="layers of each family")
    family_sizes: list[StrictInt] | None = Field(
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
    spacing: list[StrictFloat] | None = Field(
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

    @model_validator(mode="after")
    def _families_fit(self) -> GWPlantedSchema:
        if self.family_sizes is not None:
            require(
                len(self.family_sizes) == self.n_families,
                "family_sizes",
                self.family_sizes,
                f"{self.n_families} values (n_families), or null",
            )
            require(
                all(size >= 1 for size in self.family_sizes),
                "family_sizes",
                self.family_sizes,
                "positive layer counts",
            )
        if self.spacing is not None:
            require(
                len(self.spacing) == self.n_families - 1,
                "spacing",
                self.spacing,
                f"{self.n_families - 1} values (n_families − 1), or null",
            )
            require(
                all(0.0 < s <= 1.0 for s in self.spacing),
                "spacing",
                self.spacing,
                "values in (0, 1]",
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
