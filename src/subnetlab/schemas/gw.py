"""Schema of ``method=gw`` (Gromov-Wasserstein layer clustering)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from subnetlab.schemas.base import require
from subnetlab.schemas.registry import register


@register("method", "gw")
@dataclass
class GWSchema:
    """GW layer clustering of a target on ``probe_size`` held-out inputs of the dataset. The
    batched solver runs on ``trainer.accelerator``'s device, with ``trainer.threads``."""

    name: str = "gw"
    modules: list[str] = field(default_factory=lambda: ["*"])
    # N probe inputs from the dataset's held-out batch. GW's own knob (not dataset.eval_size):
    # its distances take N² memory per layer, so its N is far below other methods' eval batches
    probe_size: int = 1000
    pooling: Literal["last", "mean"] = "last"
    metric: Literal["euclidean", "sqeuclidean", "cosine"] = "euclidean"
    normalize: Literal["max", "mean"] = "max"
    solver: Literal["batched", "pot_exact", "entropic"] = "batched"
    epsilon: float = 0.01
    precision: Literal["float64", "float32"] = "float64"
    prune_ratio: float | None = 2.0
    n_groups: int | None = None
    baselines: bool = True
    cache_distances: bool = False

    def __post_init__(self) -> None:
        require(len(self.modules) >= 1, "modules", self.modules, "at least one name pattern")
        require(self.probe_size >= 4, "probe_size", self.probe_size, "an integer ≥ 4")
        require(self.epsilon > 0, "epsilon", self.epsilon, "a number > 0")
        require(
            self.prune_ratio is None or self.prune_ratio >= 1,
            "prune_ratio",
            self.prune_ratio,
            "null or a number ≥ 1",
        )
        require(
            self.n_groups is None or self.n_groups >= 1,
            "n_groups",
            self.n_groups,
            "null (largest merge gap) or an integer ≥ 1",
        )
