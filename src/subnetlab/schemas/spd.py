"""Schema of ``method=spd``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from subnetlab.schemas.base import require
from subnetlab.schemas.registry import register


@dataclass
class ModuleC:
    """How many subcomponents the modules matching ``pattern`` (fnmatch) get."""

    pattern: str = "*"
    C: int = 20

    def __post_init__(self) -> None:
        require(self.C >= 1, "C", self.C, "an integer ≥ 1")


@dataclass
class SPDCoefficients:
    faithfulness: float = 1.0
    stochastic_recon: float = 1.0
    stochastic_recon_layerwise: float = 1.0
    importance_minimality: float = 3e-3

    def __post_init__(self) -> None:
        for key, value in vars(self).items():
            require(value >= 0, f"coeffs.{key}", value, "a number ≥ 0")


@register("method", "spd")
@dataclass
class SPDSchema:
    name: str = "spd"
    modules: list[ModuleC] = field(default_factory=lambda: [ModuleC("*", 20)])
    d_gate: int = 16
    pnorm: float = 1.0
    coeffs: SPDCoefficients = field(default_factory=SPDCoefficients)
    steps: int = 40_000
    lr: float = 1e-3
    lr_schedule: Literal["constant", "linear", "cosine", "half_cosine"] = "cosine"
    lr_warmup_steps: int = 0
    batched_passes: bool = True
    ci_threshold: float = 0.1
    eval_every: int = 1000
    tolerance: float = 0.1

    def __post_init__(self) -> None:
        require(len(self.modules) >= 1, "modules", self.modules, "at least one {pattern, C}")
        require(self.d_gate >= 1, "d_gate", self.d_gate, "an integer ≥ 1")
        require(self.pnorm > 0, "pnorm", self.pnorm, "a number > 0")
        require(self.steps >= 1, "steps", self.steps, "an integer ≥ 1")
        require(self.lr > 0, "lr", self.lr, "a number > 0")
        require(self.lr_warmup_steps >= 0, "lr_warmup_steps", self.lr_warmup_steps, "an integer ≥ 0")
        require(0 <= self.ci_threshold <= 1, "ci_threshold", self.ci_threshold, "a number in [0, 1]")
        require(self.eval_every >= 1, "eval_every", self.eval_every, "an integer ≥ 1")
        require(0 < self.tolerance < 0.5, "tolerance", self.tolerance, "a number in (0, 0.5)")
