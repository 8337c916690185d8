"""Schema of ``method=circuit``: automated circuit discovery on a trained ``model=mlp``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from subnetlab.schemas.base import require
from subnetlab.schemas.registry import register


@register("method", "circuit")
@dataclass
class CircuitSchema:
    """algorithm: acdc (greedy patching), eap (gradient attribution) or magnitude (|w| / max|w|);
    tau: the algorithm's threshold (acdc: metric rise, eap: |score|, magnitude: a fraction in
    [0, 1]); metric: auto picks mse for regression tasks and kl for classification; ablation:
    what a removed edge carries; n_examples: clean examples taken from ``split``;
    eap_prefilter: acdc only, the fraction of edges (highest |EAP score|) ACDC starts from;
    ig_steps: integrated-gradient steps of EAP (0: plain gradient); tau_sweep: thresholds whose
    circuits give the ROC AUC against the task's ground truth."""

    name: str = "circuit"
    algorithm: Literal["acdc", "eap", "magnitude"] = "acdc"
    tau: float = 0.01
    metric: Literal["auto", "kl", "logit_diff", "mse"] = "auto"
    ablation: Literal["corrupted", "zero", "mean"] = "corrupted"
    n_examples: int = 100
    split: Literal["train", "test"] = "test"
    eap_prefilter: float | None = None
    ig_steps: int = 5
    candidates_per_pass: int = 256
    abs_value: bool = False
    tau_sweep: list[float] = field(default_factory=list)
    torch_threads: int = 1

    def __post_init__(self) -> None:
        require(math.isfinite(self.tau) and self.tau >= 0, "tau", self.tau, "a finite number ≥ 0")
        if self.algorithm == "magnitude":
            require(self.tau <= 1, "tau", self.tau, "a fraction in [0, 1] for magnitude")
        require(self.n_examples >= 2, "n_examples", self.n_examples, "an integer ≥ 2")
        if self.eap_prefilter is not None:
            require(
                self.algorithm == "acdc",
                "eap_prefilter",
                self.eap_prefilter,
                "null unless algorithm=acdc (it pre-selects the edges ACDC tests)",
            )
            require(
                0 < self.eap_prefilter <= 1,
                "eap_prefilter",
                self.eap_prefilter,
                "null or a fraction of edges in (0, 1]",
            )
        require(self.ig_steps >= 0, "ig_steps", self.ig_steps, "an integer ≥ 0")
        require(
            self.candidates_per_pass >= 1,
            "candidates_per_pass",
            self.candidates_per_pass,
            "an integer ≥ 1",
        )
        for i, value in enumerate(self.tau_sweep):
            ok = math.isfinite(value) and value >= 0
            if self.algorithm == "magnitude":
                ok = ok and value <= 1
            require(ok, f"tau_sweep[{i}]", value, "finite thresholds ≥ 0 (≤ 1 for magnitude)")
        require(self.torch_threads >= 0, "torch_threads", self.torch_threads, "an integer ≥ 0")
