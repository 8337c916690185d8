"""Schemas of the synthetic sparse-feature datasets (``dataset/``)."""

from __future__ import annotations

from dataclasses import dataclass

from subnetlab.schemas.base import require
from subnetlab.schemas.registry import register


def _check_sparse(p: float, low: float, high: float, batch_size: int) -> None:
    require(0.0 <= p <= 1.0, "feature_probability", p, "a probability in [0, 1]")
    require(low < high, "value_high", high, f"a number above value_low={low}")
    require(batch_size >= 1, "batch_size", batch_size, "an integer ≥ 1")





@register("dataset", "sparse_features")
@dataclass
class SparseFeaturesSchema:
    """TMS data: each feature on with probability p, value U[value_low, value_high]; label = input."""

    name: str = "sparse_features"
    feature_probability: float = 0.05
    value_low: float = 0.0
    value_high: float = 1.0
    batch_size: int = 4096
    eval_size: int = 10_000

    def __post_init__(self) -> None:
        _check_sparse(self.feature_probability, self.value_low, self.value_high, self.batch_size)
        require(self.eval_size >= 1, "eval_size", self.eval_size, "an integer ≥ 1")


@register("dataset", "resid_features")
@dataclass
class ResidFeaturesSchema:
    """ResidMLP data: p = 0.01, values U[−1, 1]; labels x + ReLU(x) (decomposition uses the
    target's outputs)."""

    name: str = "resid_features"
    feature_probability: float = 0.01
    value_low: float = -1.0
    value_high: float = 1.0
    batch_size: int = 2048
    eval_size: int = 10_000

    def __post_init__(self) -> None:
        _check_sparse(self.feature_probability, self.value_low, self.value_high, self.batch_size)
        require(self.eval_size >= 1, "eval_size", self.eval_size, "an integer ≥ 1")
