"""Schema of ``method=gw``: Gromov-Wasserstein distances between the layers' distance matrices on
a probe set, then average-linkage groups and a contiguous segmentation along depth."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr

from subnetlab.schemas.base import schema
from subnetlab.schemas.registry import register


@register("method", "gw")
@schema
class GWSchema:
    """GW layer clustering of a target on ``probe_size`` held-out inputs of the dataset. The
    batched solver runs on ``trainer.accelerator``'s device, with ``trainer.threads``."""

    name: StrictStr = Field("gw", description="the method option")
    modules: list[StrictStr] = Field(
        default_factory=lambda: ["*"],
        min_length=1,
        description="fnmatch patterns over layer names (a decomposable target's matrices, "
        "else submodules)",
    )
    probe_size: StrictInt = Field(
        1000,
        ge=4,
        description="N probe inputs from the dataset's held-out batch (the default takes at most "
        "what there is)",
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
    prune_ratio: StrictFloat | None = Field(
        2.0,
        ge=1,
        description="batched only: drop the product start once above this × the identity "
        "start; null = off",
    )
    n_groups: StrictInt | None = Field(
        None, ge=1, description="layer groups (one cut of the tree); null = chosen by group_rule"
    )
    group_rule: Literal["separation", "largest_gap"] = Field(
        "separation",
        description="n_groups=null: separation (merge GW ≥ separation_ratio × GW inside each side) "
        "| largest_gap",
    )
    separation_ratio: StrictFloat = Field(
        4.0,
        gt=1,
        description="group_rule=separation: a merge's GW over the GW inside each side that splits "
        "it",
    )
    baselines: StrictBool = Field(
        True, description="also linear CKA, debiased CKA and Procrustes distances"
    )
    cache_distances: StrictBool = Field(
        False, description="write the (L, N, N) distances to the run folder"
    )
