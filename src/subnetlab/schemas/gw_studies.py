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
