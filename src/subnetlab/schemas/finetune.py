"""Schema of ``method=finetune`` (fine-tune a trained target, some of its modules or all)."""

from __future__ import annotations

from dataclasses import dataclass

from subnetlab.schemas.base import require
from subnetlab.schemas.registry import register


@register("method", "finetune")
@dataclass
class FinetuneSchema:
    """AdamW (β = 0.9, 0.98) for ``steps`` steps, lr decaying along a cosine to 0, on minibatches
    of the sequence dataset's train split whose labels are shifted by ``label_shift``; only the
    parameters of the modules matching ``trainable`` (fnmatch patterns over ``named_modules``;
    null: every parameter) change."""

    name: str = "finetune"
    steps: int = 300
    lr: float = 1e-3
    weight_decay: float = 0.0
    batch_size: int | None = None  # null: dataset.batch_size
    trainable: list[str] | None = None
    label_shift: int = 0  # train and score on targets (c + shift) mod vocab

    def __post_init__(self) -> None:
        require(self.steps >= 1, "steps", self.steps, "an integer ≥ 1")
        require(self.lr > 0, "lr", self.lr, "a number > 0")
        require(self.weight_decay >= 0, "weight_decay", self.weight_decay, "a number ≥ 0")
        require(
            self.batch_size is None or self.batch_size >= 1,
            "batch_size",
            self.batch_size,
            "null or an integer ≥ 1",
        )
        require(
            self.trainable is None or len(self.trainable) >= 1,
            "trainable",
            self.trainable,
            "null (everything) or at least one module-name pattern",
        )
        require(self.label_shift >= 0, "label_shift", self.label_shift, "an integer ≥ 0")
