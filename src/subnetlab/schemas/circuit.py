"""Schema of ``method=circuit``: automated circuit discovery on a trained layered MLP."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from subnetlab.schemas.base import require
from subnetlab.schemas.bimt import BimtSchema
from subnetlab.schemas.registry import register


@register("method", "circuit")
@dataclass
class CircuitSchema:
    """algorithm: acdc (greedy patching), eap (gradient attribution) or magnitude (|w| / max|w|);
    tau: the algorithm's threshold (acdc: metric rise, eap: |score|, magnitude: a fraction in
    [0, 1]); metric: auto picks kl for classification (integer labels) and mse otherwise
    (regression, or a dataset without targets); ablation: what a removed edge carries;
    probe_size: clean examples taken from ``split`` (datasets that serve only probe inputs, like
    ``dataset=tensors``, have only ``test``); eap_prefilter: acdc only, the fraction of edges
    (highest |EAP score|) ACDC starts from; ig_steps: integrated-gradient steps of EAP (0: plain
    gradient); tau_sweep: thresholds whose circuits give the ROC AUC against the ground truth;
    truth_file: a .pt file with the true circuit's edge masks (one (d_out, d_in) bool tensor per
    layer) to score against, for targets whose dataset knows none; train: the study's block,
    used by ``CircuitStudyModule`` to train its own target with ``method=bimt`` settings."""

    name: str = "circuit"
    algorithm: Literal["acdc", "eap", "magnitude"] = "acdc"
    tau: float = 0.01
    metric: Literal["auto", "kl", "logit_diff", "mse"] = "auto"
    ablation: Literal["corrupted", "zero", "mean"] = "corrupted"
    probe_size: int = 100
    split: Literal["train", "test"] = "test"
    eap_prefilter: float | None = None
    ig_steps: int = 5
    candidates_per_pass: int = 256
    abs_value: bool = False
    tau_sweep: list[float] = field(default_factory=list)
    truth_file: str | None = None
    latency_repeats: int = 50
    train: BimtSchema | None = None

    def __post_init__(self) -> None:
        require(math.isfinite(self.tau) and self.tau >= 0, "tau", self.tau, "a finite number ≥ 0")
        if self.algorithm == "magnitude":
            require(self.tau <= 1, "tau", self.tau, "a fraction in [0, 1] for magnitude")
        require(self.probe_size >= 2, "probe_size", self.probe_size, "an integer ≥ 2")
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
        require(
            self.latency_repeats >= 1, "latency_repeats", self.latency_repeats, "an integer ≥ 1"
        )
