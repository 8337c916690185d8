"""Schema of ``method=gw``: Gromov-Wasserstein distances between the layers' distance matrices on
a probe set, then average-linkage groups and a contiguous segmentation along depth."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr, model_validator

from subnetlab.schemas.base import MAX_SEED, require, schema
from subnetlab.schemas.registry import register


@schema
class DownstreamOptions:
    """``experiment=gw_compression``: layer removal and group fine-tuning on a residual model."""

    random_draws: StrictInt = Field(
        10, ge=1, description="random layer subsets per number of removed layers"
    )
    finetune_steps: StrictInt = Field(300, ge=0, description="AdamW steps of each fine-tuning")
    finetune_lr: StrictFloat = Field(1e-3, gt=0, description="fine-tuning learning rate")
    label_shift: StrictInt = Field(
        1, ge=0, description="fine-tune on targets (c + shift) mod vocab; 0 = the training task"
    )


@schema
class SeedOptions:
    """``experiment=gw_seed_identification``: K models of the configured architecture trained
    with its recipe from seeds first_seed … first_seed + K − 1."""

    n_seeds: StrictInt = Field(3, ge=2, description="K, the number of models trained")
    first_seed: StrictInt = Field(0, ge=0, le=MAX_SEED, description="seed of the first model")

    @model_validator(mode="after")
    def _seeds_in_range(self) -> SeedOptions:
        last = self.first_seed + self.n_seeds - 1
        require(last <= MAX_SEED, "first_seed", self.first_seed, f"≤ {MAX_SEED - self.n_seeds + 1}")
        return self


@schema
class HFOptions:
    """``experiment=gw_hf``: a local Hugging Face causal-LM folder instead of a subnetlab target.
    Probe inputs: the shipped text tokenised by the folder's tokenizer (``text``; needs one), or
    uniformly random token ids (``random_tokens``); ``seq_len`` tokens each."""

    path: StrictStr | None = Field(None, description="the save_pretrained folder")
    probe: Literal["text", "random_tokens"] = Field(
        "text", description="tokenised shipped text (needs a tokenizer) | random token ids"
    )
    seq_len: StrictInt = Field(32, ge=1, description="tokens per probe input")


@register("method", "gw")
@schema
class GWSchema:
    """GW layer clustering of a trained target (or of a Hugging Face model, ``hf.path``)."""

    name: StrictStr = Field("gw", description="the method option")
    modules: list[StrictStr] = Field(
        default_factory=lambda: ["*"],
        min_length=1,
        description="fnmatch patterns over layer names (a decomposable target's matrices, "
        "else submodules)",
    )
    probe_size: StrictInt = Field(
        1000, ge=4, description="N probe inputs from the dataset's held-out batch"
    )
    pooling: Literal["last", "mean"] = Field(
        "last", description="sequences: the last token or the mean over tokens"
    )
    metric: Literal["euclidean", "sqeuclidean", "cosine"] = Field(
        "euclidean", description="distance between probe representations within a layer"
    )
    normalize: Literal["max", "mean"] = Field(
        "max", description="each distance matrix divided by its max or its mean"
    )
    solver: Literal["batched", "pot_exact", "entropic"] = Field(
        "batched", description="ours; pot_exact (POT reference, CPU) or entropic (POT, epsilon)"
    )
    epsilon: StrictFloat = Field(
        0.01, gt=0, description="entropic only, absolute (the cost is normalised)"
    )
    precision: Literal["float64", "float32"] = Field(
        "float64", description="batched only; float32 is faster"
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto", description="batched only: cuda when available"
    )
    prune_ratio: StrictFloat | None = Field(
        2.0,
        ge=1,
        description="batched only: drop the product start once above this × the identity "
        "start; null = off",
    )
    n_groups: StrictInt | None = Field(
        None, ge=1, description="layer groups; null = the largest gap of the merge heights"
    )
    baselines: StrictBool = Field(
        True, description="also linear CKA, debiased CKA and Procrustes distances"
    )
    cache_distances: StrictBool = Field(
        False, description="write the (L, N, N) distances to the run folder"
    )
    downstream: DownstreamOptions = Field(
        default_factory=DownstreamOptions, description="experiment=gw_compression settings"
    )
    seeds: SeedOptions = Field(
        default_factory=SeedOptions, description="experiment=gw_seed_identification settings"
    )
    hf: HFOptions = Field(default_factory=HFOptions, description="experiment=gw_hf settings")
