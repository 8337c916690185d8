"""Studies as plain functions over runs: each stage of a study is a full run (the same lifecycle:
trainer settings, checkpoints, resume) in its own folder under the study's run folder."""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm import tqdm

from subnetlab.lifecycle.runner import ALREADY_FINISHED, RunResult, run_to_completion
from subnetlab.schemas.run import RunConfig

log = logging.getLogger("subnetlab")

#: a study function (``study._target_``): (the resolved config dict, its validated RunConfig, the
#: study's run folder) -> the study's final metrics. Its stages are runs in sub-folders.
Study = Callable[[dict[str, Any], RunConfig, Path], dict[str, float]]


def merged(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of ``base`` with ``overrides`` merged in (nested mappings merge key by key;
    a mapping given with ``_target_`` replaces the node whole, as choosing another option does)."""
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        replace_whole = isinstance(value, dict) and "_target_" in value
        if isinstance(value, dict) and isinstance(out.get(key), dict) and not replace_whole:
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def run_stage(raw: dict[str, Any], stage_dir: Path, overrides: dict[str, Any]) -> RunResult:
    """Run one stage of a study into ``stage_dir``: the study's config without ``study``, with
    ``overrides`` merged in.

    A stage whose ``metrics.json`` says ``ok`` is not run again; a stage that was interrupted
    after its first checkpoint continues from it (so a killed study, run again, finishes with the
    metrics of an uninterrupted one). A stage that fails raises ``StageFailed``.
    """
    # a stage is named after its own method and model (train_mlp, gw_mlp), not the study's run
    unnamed = {**{k: v for k, v in raw.items() if k != "study"}, "run_name": None}
    stage_raw = merged(unnamed, overrides)
    method = stage_raw["method"].get("name", "?")
    log.info("stage %s (method=%s) started in %s", stage_dir.name, method, stage_dir)
    started = time.perf_counter()
    result = run_to_completion(stage_raw, stage_dir)
    took = tqdm.format_interval(time.perf_counter() - started)
    if result.status != "ok":
        log.info("stage %s %s after %s", stage_dir.name, result.status, took)
        raise StageFailed(f"stage {stage_dir.name} failed: {result.error} (see {stage_dir})")
    if ALREADY_FINISHED in result.notes:
        log.info("stage %s: %s", stage_dir.name, ALREADY_FINISHED)
    else:
        log.info("stage %s done in %s", stage_dir.name, took)
    return result


class StageFailed(RuntimeError):
    """A stage of a study did not finish; the study records it and stops."""
