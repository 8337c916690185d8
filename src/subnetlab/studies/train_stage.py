"""A study stage that trains the configured model: a ``method=train`` run in its own folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from subnetlab.lifecycle.runner import RunResult
from subnetlab.lifecycle.stages import run_stage

TRAIN_METHOD = {"_target_": "subnetlab.methods.train.module.TrainModule", "name": "train"}
# what a training run reports besides its results
_BOOKKEEPING = frozenset({"wall_time_s", "seed"})


def train_stage(raw: dict[str, Any], stage_dir: Path, seed: int) -> RunResult:
    """Train the study's ``model=`` on its ``dataset=`` from ``seed`` with ``method=train`` (the
    study's trainer settings apply; a finished stage is reused, an interrupted one resumed). The
    trained network is ``stage_dir/target.pt``.

    Raises:
        StageFailed: the training failed.
    """
    overrides = {"method": TRAIN_METHOD, "seed": seed, "optimized_metric": None}
    return run_stage(raw, stage_dir, overrides)


def stage_results(result: RunResult) -> dict[str, float]:
    """The numeric final metrics of a stage, without its bookkeeping (wall time, seed)."""
    return {
        key: float(value)
        for key, value in result.metrics.items()
        if key not in _BOOKKEEPING
        and isinstance(value, (int, float))
        and not isinstance(value, bool)
    }
