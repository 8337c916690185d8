"""Schemas of the GW studies (``study=gw_seed_identification``, ``study=gw_compression``): the
study's own knobs; the GW analysis takes ``method=gw``'s."""

from __future__ import annotations

from dataclasses import dataclass

from subnetlab.schemas.base import require
from subnetlab.schemas.registry import register


@register("study", "gw_seed_identification")
@dataclass
class GWSeedIdentificationSchema:
    """Train ``n_seeds`` models of the configured architecture (``method=train`` stages, seeds
    ``first_seed`` … ``first_seed + n_seeds − 1``), then score how often each layer's nearest
    layer in another seed is its counterpart."""

    name: str = "gw_seed_identification"
    n_seeds: int = 3
    first_seed: int = 0

    def __post_init__(self) -> None:
        require(self.n_seeds >= 2, "n_seeds", self.n_seeds, "an integer ≥ 2")
        require(self.first_seed >= 0, "first_seed", self.first_seed, "an integer ≥ 0")


@register("study", "gw_compression")
@dataclass
class GWCompressionSchema:
    """GW groups of a residual sequence model, then removing blocks (GW group interiors vs random
    vs contiguous) and fine-tuning each group vs all blocks (``method=finetune`` stages) on the
    task with every label shifted by ``label_shift``."""

    name: str = "gw_compression"
    random_draws: int = 10  # random block subsets per number of removed blocks
    finetune_steps: int = 300
    finetune_lr: float = 1e-3
    label_shift: int = 1  # fine-tune on targets (c + shift) mod vocab; 0 = the training task

    def __post_init__(self) -> None:
        require(self.random_draws >= 1, "random_draws", self.random_draws, "an integer ≥ 1")
        require(self.finetune_steps >= 1, "finetune_steps", self.finetune_steps, "an integer ≥ 1")
        require(self.finetune_lr > 0, "finetune_lr", self.finetune_lr, "a number > 0")
        require(self.label_shift >= 0, "label_shift", self.label_shift, "an integer ≥ 0")
