"""Schema of ``method=circuit``: automated circuit discovery (ACDC, arXiv:2304.14997; edge
attribution patching, arXiv:2310.10348, and its integrated-gradients form EAP-IG,
arXiv:2403.17806; weight magnitude) on a trained layered MLP."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr, model_validator

from subnetlab.schemas.base import require, schema
from subnetlab.schemas.registry import register


@register("method", "circuit")
@schema
class CircuitSchema:
    """Circuit discovery: nodes are neurons, edges are weights; a removed edge carries its
    source's ablated activation."""

    name: StrictStr = Field("circuit", description="the method option")
    algorithm: Literal["acdc", "eap", "eap_ig", "magnitude"] = Field(
        "acdc",
        description="acdc (greedy patching) | eap (gradient attribution) | eap_ig (integrated "
        "gradients) | magnitude",
    )
    tau: StrictFloat = Field(
        0.01,
        ge=0,
        description="acdc: metric rise below which an edge goes; eap/eap_ig: |score|; "
        "magnitude: a fraction in [0, 1]",
    )
    tau_scale: Literal["gap", "absolute"] = Field(
        "gap",
        description="gap: tau as a fraction of the full-vs-empty gap (per output for mse); "
        "absolute: metric units",
    )
    metric: Literal["auto", "kl", "logit_diff", "mse"] = Field(
        "auto", description="auto: mse for regression tasks, kl for classification"
    )
    ablation: Literal["corrupted", "zero", "mean"] = Field(
        "corrupted",
        description="what a removed edge carries: another example's activation, 0, or the mean",
    )
    probe_size: StrictInt | None = Field(
        100,
        ge=2,
        description="clean examples from split (null: all; the default takes at most what "
        "there is)",
    )
    split: Literal["train", "test"] = Field(
        "test",
        description="where the examples come from (probe-only datasets, e.g. tensors: test)",
    )
    eap_prefilter: StrictFloat | None = Field(
        None,
        gt=0,
        le=1,
        description="acdc only: start from this fraction of edges with the largest |EAP score|",
    )
    ig_steps: StrictInt = Field(
        5,
        ge=1,
        description="eap_ig and eap_prefilter: integrated-gradient steps from the full model to "
        "the empty circuit",
    )
    candidates_per_pass: StrictInt = Field(
        256, ge=1, description="acdc: candidate edges patched in one batched forward pass"
    )
    abs_value: StrictBool = Field(False, description="acdc: compare |metric change| with tau")
    tau_sweep: list[StrictFloat] = Field(
        default_factory=list,
        description="thresholds whose circuits give the node ROC AUC against the ground truth",
    )
    truth_file: StrictStr | None = Field(
        None,
        description="a .pt of the true circuit's edge masks: a (d_out, d_in) bool tensor per layer",
    )

    @model_validator(mode="after")
    def _thresholds_fit_the_algorithm(self) -> CircuitSchema:
        if self.algorithm == "magnitude":
            require(self.tau <= 1, "tau", self.tau, "a fraction in [0, 1] for magnitude")
        if self.eap_prefilter is not None:
            require(
                self.algorithm == "acdc",
                "eap_prefilter",
                self.eap_prefilter,
                "null unless algorithm=acdc (it pre-selects the edges ACDC tests)",
            )
        for i, value in enumerate(self.tau_sweep):
            ok = value >= 0 and (self.algorithm != "magnitude" or value <= 1)
            require(ok, f"tau_sweep[{i}]", value, "finite thresholds ≥ 0 (≤ 1 for magnitude)")
        return self
