"""Schemas of ``method=bimt`` and of the BIMT task datasets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from subnetlab.schemas.base import require
from subnetlab.schemas.registry import register

TRAIN_TYPES = ("vanilla", "l1", "l1_local", "l1_swap", "bimt")


@dataclass
class BimtCostSchema:
    """layer_gap: l0 (cost of a vertical wire; alone it is L1); distance_weight: wf (scale of
    wire length); reduction: sum over entries or mean per tensor; exempt_last_layer: no
    wire-length term on the last layer."""

    layer_gap: float = 0.1
    distance_weight: float = 1.0
    reduction: Literal["sum", "mean"] = "sum"
    exempt_last_layer: bool = False

    def __post_init__(self) -> None:
        require(self.layer_gap >= 0, "cost.layer_gap", self.layer_gap, "a number ≥ 0")
        require(
            self.distance_weight >= 0, "cost.distance_weight", self.distance_weight, "a number ≥ 0"
        )


@dataclass
class LambdaPhaseSchema:
    """From ``start`` (a fraction of training) on, lambda = base * ``multiplier``."""

    start: float = 0.0
    multiplier: float = 1.0


@register("method", "bimt")
@dataclass
class BimtSchema:
    name: str = "bimt"
    train_type: Literal["vanilla", "l1", "l1_local", "l1_swap", "bimt"] = "bimt"
    steps: int = 20000
    lr: float = 2e-3
    weight_decay: float = 0.0
    batch_size: int | None = None  # null: full batch
    loss: Literal["auto", "mse", "cross_entropy", "mse_onehot"] = "auto"
    lambda_base: float = 1e-3
    lambda_phases: list[LambdaPhaseSchema] = field(
        default_factory=lambda: [
            LambdaPhaseSchema(0.0, 1.0),
            LambdaPhaseSchema(0.25, 10.0),
            LambdaPhaseSchema(0.75, 1.0),
        ]
    )
    bias_penalty_start: float = 0.0
    cost: BimtCostSchema = field(default_factory=BimtCostSchema)
    swap_every: int = 200
    swap_top_k: int = 5

    def __post_init__(self) -> None:
        for key in ("steps", "swap_every", "swap_top_k"):
            value = getattr(self, key)
            require(value >= 1, key, value, "an integer ≥ 1")
        require(self.lr > 0, "lr", self.lr, "a number > 0")
        require(self.weight_decay >= 0, "weight_decay", self.weight_decay, "a number ≥ 0")
        require(
            self.batch_size is None or self.batch_size >= 1,
            "batch_size",
            self.batch_size,
            "null or an integer ≥ 1",
        )
        require(self.lambda_base >= 0, "lambda_base", self.lambda_base, "a number ≥ 0")
        starts = [phase.start for phase in self.lambda_phases]
        require(
            bool(starts)
            and starts[0] == 0.0
            and all(b > a for a, b in zip(starts, starts[1:], strict=False))
            and starts[-1] < 1,
            "lambda_phases",
            [(p.start, p.multiplier) for p in self.lambda_phases],
            "phases whose starts begin at 0 and increase strictly within [0, 1)",
        )
        for i, phase in enumerate(self.lambda_phases):
            require(
                phase.multiplier >= 0,
                f"lambda_phases[{i}].multiplier",
                phase.multiplier,
                "a number ≥ 0",
            )
        require(
            0 <= self.bias_penalty_start <= 1,
            "bias_penalty_start",
            self.bias_penalty_start,
            "a fraction of training in [0, 1]",
        )


@register("dataset", "symbolic_independence")
@register("dataset", "symbolic_feature_sharing")
@register("dataset", "symbolic_compositionality")
@dataclass
class SymbolicDatasetSchema:
    """Inputs uniform in [-1, 1]; the task is the option name without ``symbolic_``."""

    name: Literal[
        "symbolic_independence", "symbolic_feature_sharing", "symbolic_compositionality"
    ] = "symbolic_independence"
    n_train: int = 100
    n_test: int = 100

    def __post_init__(self) -> None:
        require(self.n_train >= 1, "n_train", self.n_train, "an integer ≥ 1")
        require(self.n_test >= 1, "n_test", self.n_test, "an integer ≥ 1")


@register("dataset", "two_moons")
@dataclass
class TwoMoonsDatasetSchema:
    name: str = "two_moons"
    n_train: int = 200
    n_test: int = 200
    noise: float = 0.1

    def __post_init__(self) -> None:
        require(self.n_train >= 2, "n_train", self.n_train, "an integer ≥ 2")
        require(self.n_test >= 2, "n_test", self.n_test, "an integer ≥ 2")
        require(self.noise >= 0, "noise", self.noise, "a number ≥ 0")


@register("dataset", "modular_addition")
@dataclass
class ModularAdditionDatasetSchema:
    name: str = "modular_addition"
    p: int = 59
    train_fraction: float = 0.8

    def __post_init__(self) -> None:
        require(self.p >= 2, "p", self.p, "an integer ≥ 2")
        require(
            0 < self.train_fraction < 1, "train_fraction", self.train_fraction, "a number in (0, 1)"
        )


@register("dataset", "permutation_s4")
@dataclass
class PermutationS4DatasetSchema:
    name: str = "permutation_s4"
    train_fraction: float = 0.8

    def __post_init__(self) -> None:
        require(
            0 < self.train_fraction < 1, "train_fraction", self.train_fraction, "a number in (0, 1)"
        )


@register("dataset", "mnist")
@dataclass
class MnistDatasetSchema:
    """IDX files in ``data_dir`` (plain or .gz); downloaded there when missing and ``download``."""

    name: str = "mnist"
    data_dir: str = "data/mnist"
    download: bool = True
