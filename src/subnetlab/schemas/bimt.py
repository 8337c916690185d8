"""Schemas of ``method=bimt`` (brain-inspired modular training, arXiv:2305.08746) and of the BIMT
task datasets. Defaults: the paper's symbolic-formula notebook."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr, model_validator

from subnetlab.schemas.base import require, schema
from subnetlab.schemas.registry import register


@schema
class BimtCostSchema:
    """The connection cost: each weight's |w| times its wire length (arXiv:2305.08746 §2)."""

    layer_gap: StrictFloat = Field(
        0.1, ge=0, description="l0: cost of a vertical wire (alone it is plain L1)"
    )
    distance_weight: StrictFloat = Field(
        1.0, ge=0, description="wf: scale of the horizontal wire length"
    )
    reduction: Literal["sum", "mean"] = Field(
        "sum", description="sum over entries or mean per tensor (rescales the useful lambda)"
    )
    exempt_last_layer: StrictBool = Field(
        False, description="no wire-length term on the last layer"
    )


@schema
class LambdaPhaseSchema:
    """From ``start`` (a fraction of training) on, lambda = lambda_base × ``multiplier``."""

    start: StrictFloat = Field(0.0, ge=0, lt=1, description="fraction of training")
    multiplier: StrictFloat = Field(1.0, ge=0, description="lambda = lambda_base × this")

    if TYPE_CHECKING:  # the signature @schema builds at runtime, for the type checker

        def __init__(self, start: float = ..., multiplier: float = ...) -> None: ...


@register("method", "bimt")
@schema
class BimtSchema:
    """BIMT training of ``model=mlp``: the task loss plus lambda × the connection cost, with
    neuron swaps that shorten the wires; ``train_type`` picks the ablation."""

    name: StrictStr = Field("bimt", description="the method option")
    train_type: Literal["vanilla", "l1", "l1_local", "l1_swap", "bimt"] = Field(
        "bimt",
        description="the ablation: no penalty, plain L1, distance-weighted L1, L1 with swaps, "
        "distance-weighted L1 with swaps",
    )
    steps: StrictInt = Field(20000, ge=1, description="training steps")
    lr: StrictFloat = Field(2e-3, gt=0, description="AdamW learning rate")
    weight_decay: StrictFloat = Field(0.0, ge=0, description="AdamW weight decay")
    batch_size: StrictInt | None = Field(
        None, ge=1, description="minibatch size; null = the full training set every step"
    )
    loss: Literal["auto", "mse", "cross_entropy", "mse_onehot"] = Field(
        "auto", description="auto: mse (regression), cross_entropy (classes), mse_onehot (mnist)"
    )
    lambda_base: StrictFloat = Field(
        1e-3, ge=0, description="lambda = lambda_base × the multiplier of the current phase"
    )
    lambda_phases: list[LambdaPhaseSchema] = Field(
        default_factory=lambda: [
            LambdaPhaseSchema(0.0, 1.0),
            LambdaPhaseSchema(0.25, 10.0),
            LambdaPhaseSchema(0.75, 1.0),
        ],
        min_length=1,
        description="{start: fraction of training, multiplier}, starts from 0 strictly increasing",
    )
    bias_penalty_start: StrictFloat = Field(
        0.0, ge=0, le=1, description="fraction of training after which biases join the cost"
    )
    cost: BimtCostSchema = Field(default_factory=BimtCostSchema, description="connection cost")
    swap_every: StrictInt = Field(
        200, ge=1, description="neuron relocation every N steps (l1_swap, bimt)"
    )
    swap_top_k: StrictInt = Field(5, ge=1, description="most connected neurons tried per layer")

    @model_validator(mode="after")
    def _phases_increase(self) -> BimtSchema:
        starts = [phase.start for phase in self.lambda_phases]
        require(
            starts[0] == 0.0 and all(b > a for a, b in zip(starts, starts[1:], strict=False)),
            "lambda_phases",
            [(p.start, p.multiplier) for p in self.lambda_phases],
            "phases whose starts begin at 0 and increase strictly within [0, 1)",
        )
        return self


@register("dataset", "symbolic_independence")
@register("dataset", "symbolic_feature_sharing")
@register("dataset", "symbolic_compositionality")
@schema
class SymbolicDatasetSchema:
    """BIMT's symbolic formulas, inputs uniform in [-1, 1]; the task is the option name without
    ``symbolic_``."""

    name: Literal[
        "symbolic_independence", "symbolic_feature_sharing", "symbolic_compositionality"
    ] = Field("symbolic_independence", description="the dataset option (the formula)")
    n_train: StrictInt = Field(100, ge=1, description="training points")
    n_test: StrictInt = Field(100, ge=1, description="test points")


@register("dataset", "two_moons")
@schema
class TwoMoonsDatasetSchema:
    """Two interleaving half circles with Gaussian noise (two classes)."""

    name: StrictStr = Field("two_moons", description="the dataset option")
    n_train: StrictInt = Field(200, ge=2, description="training points")
    n_test: StrictInt = Field(200, ge=2, description="test points")
    noise: StrictFloat = Field(0.1, ge=0, description="standard deviation of the Gaussian noise")


@register("dataset", "modular_addition")
@schema
class ModularAdditionDatasetSchema:
    """(a + b) mod p over all p² pairs as two tokens; a random ``train_fraction`` for training."""

    name: StrictStr = Field("modular_addition", description="the dataset option")
    p: StrictInt = Field(59, ge=2, description="the modulus")
    train_fraction: StrictFloat = Field(
        0.8, gt=0, lt=1, description="share of the p² pairs used for training"
    )


@register("dataset", "permutation_s4")
@schema
class PermutationS4DatasetSchema:
    """Composition of two elements of the symmetric group S4 (576 pairs)."""

    name: StrictStr = Field("permutation_s4", description="the dataset option")
    train_fraction: StrictFloat = Field(
        0.8, gt=0, lt=1, description="share of the 576 pairs used for training"
    )


@register("dataset", "mnist")
@schema
class MnistDatasetSchema:
    """MNIST IDX files (plain or .gz) in ``data_dir``; downloaded there when missing and
    ``download``."""

    name: StrictStr = Field("mnist", description="the dataset option")
    data_dir: StrictStr = Field("data/mnist", description="folder of the four IDX files")
    download: StrictBool = Field(True, description="download the files when they are missing")
