"""Schema of ``method=train`` (train the model with its recipe; fields override the recipe)."""

from __future__ import annotations

from dataclasses import dataclass

from subnetlab.schemas.base import require
from subnetlab.schemas.registry import register


@register("method", "train")
@dataclass
class TrainSchema:
    name: str = "train"
    steps: int | None = None
    lr: float | None = None
    batch_size: int | None = None

    def __post_init__(self) -> None:
        require(self.steps is None or self.steps >= 1, "steps", self.steps, "null or an integer ≥ 1")
        require(self.lr is None or self.lr > 0, "lr", self.lr, "null or a number > 0")
        require(
            self.batch_size is None or self.batch_size >= 1,
            "batch_size",
            self.batch_size,
            "null or an integer ≥ 1",
        )
