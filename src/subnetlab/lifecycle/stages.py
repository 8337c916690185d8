"""Studies as plain functions over runs: each stage of a study is a full run (the same lifecycle:
trainer settings, checkpoints, resume) in its own folder under the study's run folder."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from subnetlab.lifecycle.runner import RunResult, run_to_completion
from subnetlab.schemas.run import RunConfig

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
    result = run_to_completion(stage_raw, stage_dir)
    if result.status != "ok":
        raise StageFailed(f"stage {stage_dir.name} failed: {result.error} (see {stage_dir})")
    return result


class StageFailed(RuntimeError):
    """A stage of a study did not finish; the study records it and stops."""
