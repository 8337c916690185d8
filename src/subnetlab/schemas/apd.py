"""Schema of ``method=apd``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from subnetlab.schemas.base import require
from subnetlab.schemas.registry import register


@dataclass
class APDCoefficients:
    faithfulness: float = 1.0
    minimality: float = 1.0
    simplicity: float = 0.7

    def __post_init__(self) -> None:
        for key, value in vars(self).items():
            require(value >= 0, key, value, "a number ≥ 0")


@register("method", "apd")
@dataclass
class APDSchema:
    name: str = "apd"
    modules: list[str] = field(default_factory=lambda: ["*"])
    C: int = 5
    rank: int | None = None
    topk: float = 0.211
    coeffs: APDCoefficients = field(default_factory=APDCoefficients)
    schatten_pnorm: float = 1.0
    schatten_form: Literal["factor_norms", "exact"] = "factor_norms"
    attribution_source: Literal["target", "components"] = "target"
    attribution_chunk: int | None = None
    steps: int = 20_000
    lr: float = 0.03
    lr_schedule: Literal["constant", "linear", "cosine", "half_cosine"] = "constant"
    lr_warmup_steps: int = 0
    importance_threshold: float = 0.1
    min_norm_fraction: float = 0.1
    eval_every: int = 1000
    tolerance: float = 0.1

    def __post_init__(self) -> None:
        require(len(self.modules) >= 1, "modules", self.modules, "at least one fnmatch pattern")
        require(self.C >= 1, "C", self.C, "an integer ≥ 1")
        require(self.rank is None or self.rank >= 1, "rank", self.rank, "null or an integer ≥ 1")
        require(self.topk > 0, "topk", self.topk, "a number > 0 (mean active components)")
        require(self.schatten_pnorm > 0, "schatten_pnorm", self.schatten_pnorm, "a number > 0")
        require(
            self.attribution_chunk is None or self.attribution_chunk >= 1,
            "attribution_chunk",
            self.attribution_chunk,
            "null or an integer ≥ 1",
        )
        require(self.steps >= 1, "steps", self.steps, "an integer ≥ 1")
        require(self.lr > 0, "lr", self.lr, "a number > 0")
        require(
            self.lr_warmup_steps >= 0, "lr_warmup_steps", self.lr_warmup_steps, "an integer ≥ 0"
        )
        require(
            0 <= self.importance_threshold <= 1,
            "importance_threshold",
            self.importance_threshold,
            "a number in [0, 1]",
        )
        require(
            0 <= self.min_norm_fraction <= 1,
            "min_norm_fraction",
            self.min_norm_fraction,
            "a number in [0, 1]",
        )
        require(self.eval_every >= 1, "eval_every", self.eval_every, "an integer ≥ 1")
        require(0 < self.tolerance < 0.5, "tolerance", self.tolerance, "a number in (0, 0.5)")
