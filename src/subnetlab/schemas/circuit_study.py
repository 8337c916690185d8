"""Schema of ``study=circuit``: train a target with BIMT settings, then find its circuit."""

from __future__ import annotations

from dataclasses import dataclass, field

from subnetlab.schemas.base import require
from subnetlab.schemas.bimt import BimtSchema
from subnetlab.schemas.registry import register


@register("study", "circuit")
@dataclass
class CircuitStudySchema:
    """train: the ``method=bimt`` node of the training stage (``train_type`` picks the regime);
    latency_repeats: timed forward passes of the trained net over the test split (the median is
    ``inference_latency_ms``). The discovery stage uses the run's ``method=circuit``."""

    name: str = "circuit"
    train: BimtSchema = field(default_factory=BimtSchema)
    latency_repeats: int = 50

    def __post_init__(self) -> None:
        require(
            self.latency_repeats >= 1, "latency_repeats", self.latency_repeats, "an integer ≥ 1"
        )
