"""The circuit study (Nainani 2024, arXiv:2401.03646): train a target in one regime, then
discover its circuit, and record what training and running the target cost.

``study=circuit`` (``experiment=circuit_study*``) runs two stages, each a full run in its own
folder under the study's run folder:

1. ``train/``: ``method=bimt`` with the study's ``train`` block (``train_type`` picks vanilla / l1
   / l1_local / l1_swap / bimt) on the run's model and dataset: it honours ``trainer.*``, writes
   checkpoints and its ``target.pt``, and resumes when the study is run again after a kill;
2. ``circuit/``: the run's ``method=circuit`` on that target (``target.ckpt=train/``).

The study's metrics are the circuit's, the training stage's final metrics prefixed ``target_``,
``train_time_s`` (the training stage's time in its fit loop), ``peak_train_memory_mb`` (the
largest rise of memory in use while the training stage ran, data loading and final evaluation
included; after a resume, of the resumed part only), ``inference_latency_ms`` (median forward
time of the trained net over the test split, on the training device) and
``inference_batch_size``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from subnetlab.data.tasks import build_task_data
from subnetlab.lifecycle.outputs import read_metrics, write_json_atomic
from subnetlab.lifecycle.stages import run_stage
from subnetlab.lifecycle.targets import load_target
from subnetlab.methods.bimt.evaluation import model_inputs
from subnetlab.methods.circuit.resources import PeakMemory, latency_ms
from subnetlab.models.mlp import MLP
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.circuit_study import CircuitStudySchema
from subnetlab.schemas.run import RunConfig

TRAIN_STAGE = "train"
CIRCUIT_STAGE = "circuit"
#: the training stage's peak memory, kept so that a re-run that skips the finished stage reports it
TRAINING_COST_FILE = "training_cost.json"
#: entries of a stage's metrics.json that describe the run rather than its results
RECORD_KEYS = frozenset({"status", "error", "method", "model", "target", "seed", "wall_time_s"})


def circuit_study(raw: dict[str, Any], cfg: RunConfig, run_dir: Path) -> dict[str, float]:
    """Run the study into ``run_dir`` (see the module docstring); returns its final metrics.

    Raises ConfigError when ``study.train`` names no method class, and
    ``lifecycle.stages.StageFailed`` when a stage fails.
    """
    study = cfg.study
    assert isinstance(study, CircuitStudySchema)
    train_node = raw["study"]["train"]
    if "_target_" not in train_node:
        raise ConfigError(
            "study.train._target_",
            None,
            "the method=bimt class (conf/study/circuit.yaml takes it from conf/method/bimt.yaml)",
        )
    device = _training_device(cfg)
    train_dir = run_dir / TRAIN_STAGE
    trained, peak_mb = _train_stage(
        raw, train_node, train_dir, run_dir / TRAINING_COST_FILE, device
    )
    circuit = run_stage(raw, run_dir / CIRCUIT_STAGE, {"target": {"ckpt": str(train_dir)}})
    latency, batch_size = _inference_latency(cfg, train_dir, device, study.latency_repeats)
    train_metrics = _results(trained)
    return {
        "train_time_s": train_metrics.pop("train_time_s"),
        "peak_train_memory_mb": peak_mb,
        "inference_latency_ms": latency,
        "inference_batch_size": float(batch_size),
        **{f"target_{key}": value for key, value in train_metrics.items()},
        **_results(circuit.metrics),
    }


def _training_device(cfg: RunConfig) -> torch.device:
    accelerator = cfg.trainer.accelerator
    if accelerator == "gpu" or (accelerator == "auto" and torch.cuda.is_available()):
        return torch.device("cuda")
    return torch.device("cpu")


def _train_stage(
    raw: dict[str, Any],
    train_node: dict[str, Any],
    train_dir: Path,
    cost_file: Path,
    device: torch.device,
) -> tuple[dict[str, Any], float]:
    """Run (or resume, or skip when finished) the training stage; returns its metrics record and
    the peak memory of the run that finished it."""
    previous = read_metrics(train_dir)
    finished = previous is not None and previous.get("status") == "ok"
    with PeakMemory(device) as peak:
        trained = run_stage(raw, train_dir, {"method": train_node})
    if finished and cost_file.is_file():
        return trained.metrics, float(json.loads(cost_file.read_text())["peak_train_memory_mb"])
    write_json_atomic(cost_file, {"peak_train_memory_mb": peak.megabytes})
    return trained.metrics, peak.megabytes


@torch.no_grad()
def _inference_latency(
    cfg: RunConfig, train_dir: Path, device: torch.device, repeats: int
) -> tuple[float, int]:
    """Median milliseconds of one forward pass of the trained net over the whole test split, and
    the split's size."""
    network = load_target(str(train_dir), cfg.model).to(device).eval()
    assert isinstance(network, MLP)  # the training stage is method=bimt, which trains an MLP
    x_test = build_task_data(cfg.dataset, cfg.seed).data.x_test
    batch = model_inputs(x_test, network).to(device)

    def forward() -> None:
        network(batch)
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    return latency_ms(forward, repeats), len(batch)


def _results(record: dict[str, Any]) -> dict[str, float]:
    """The numeric results of a stage's metrics record."""
    return {
        key: float(value)
        for key, value in record.items()
        if key not in RECORD_KEYS and isinstance(value, int | float) and not isinstance(value, bool)
    }
