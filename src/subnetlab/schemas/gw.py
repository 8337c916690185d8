"""Schema of ``method=gw`` (Gromov-Wasserstein layer clustering)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from subnetlab.schemas.base import require
from subnetlab.schemas.registry import register


@dataclass
class DownstreamOptions:
    """``experiment=gw_compression``: layer removal and group fine-tuning on a residual model."""

    random_draws: int = 10  # random layer subsets per number of removed layers
    finetune_steps: int = 300
    finetune_lr: float = 1e-3
    label_shift: int = 1  # fine-tune on targets (c + shift) mod vocab; 0 = the training task

    def __post_init__(self) -> None:
        require(self.random_draws >= 1, "random_draws", self.random_draws, "an integer ≥ 1")
        require(self.finetune_steps >= 0, "finetune_steps", self.finetune_steps, "an integer ≥ 0")
        require(self.finetune_lr > 0, "finetune_lr", self.finetune_lr, "a number > 0")
        require(self.label_shift >= 0, "label_shift", self.label_shift, "an integer ≥ 0")


@dataclass
class SeedOptions:
    """``experiment=gw_seed_identification``: K models of the configured architecture trained
    with its recipe from seeds first_seed … first_seed + K − 1."""

    n_seeds: int = 3
    first_seed: int = 0

    def __post_init__(self) -> None:
        require(self.n_seeds >= 2, "n_seeds", self.n_seeds, "an integer ≥ 2")
        require(self.first_seed >= 0, "first_seed", self.first_seed, "an integer ≥ 0")


@dataclass
class HFOptions:
    """``experiment=gw_hf``: a local Hugging Face causal-LM folder instead of a subnetlab target.
    Probe inputs: the shipped text tokenised by the folder's tokenizer (``text``; needs one), or
    uniformly random token ids (``random_tokens``); ``seq_len`` tokens each."""

    path: str | None = None
    probe: Literal["text", "random_tokens"] = "text"
    seq_len: int = 32

    def __post_init__(self) -> None:
        require(self.seq_len >= 1, "seq_len", self.seq_len, "an integer ≥ 1")


@register("method", "gw")
@dataclass
class GWSchema:
    name: str = "gw"
    modules: list[str] = field(default_factory=lambda: ["*"])
    probe_size: int = 1000
    pooling: Literal["last", "mean"] = "last"
    metric: Literal["euclidean", "sqeuclidean", "cosine"] = "euclidean"
    normalize: Literal["max", "mean"] = "max"
    solver: Literal["batched", "pot_exact", "entropic"] = "batched"
    epsilon: float = 0.01
    precision: Literal["float64", "float32"] = "float64"
    device: Literal["auto", "cpu", "cuda"] = "auto"
    prune_ratio: float | None = 2.0
    n_groups: int | None = None
    baselines: bool = True
    cache_distances: bool = False
    downstream: DownstreamOptions = field(default_factory=DownstreamOptions)
    seeds: SeedOptions = field(default_factory=SeedOptions)
    hf: HFOptions = field(default_factory=HFOptions)

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
