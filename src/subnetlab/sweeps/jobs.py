"""The jobs of a sweep folder: each job's overrides and final metrics, as the summaries read them.

A job is a folder holding ``.hydra/overrides.yaml`` and/or ``metrics.json``; folders inside
another job (the stages of a study, each a run with its own ``metrics.json``) belong to it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

#: final-metrics entries that identify or describe a run rather than measure it
NOT_METRICS = frozenset({"status", "error", "method", "model", "target", "seed"})


@dataclass
class Job:
    path: str
    """the job folder relative to the sweep folder."""
    folder: Path
    overrides: dict[str, str]
    metrics: dict[str, Any] = field(default_factory=dict)
    """the job's ``metrics.json`` as written (empty when the job wrote none)."""

    @property
    def status(self) -> str:
        """``ok``, ``failed``, ``interrupted`` as recorded; ``missing`` without metrics."""
        if not self.metrics:
            return "missing"
        return str(self.metrics.get("status", "ok"))

    @property
    def method(self) -> str:
        return str(self.metrics.get("method") or self.overrides.get("method", "?"))

    @property
    def error(self) -> str:
        if not self.metrics:
            return "no metrics.json (job did not finish)"
        return str(self.metrics.get("error", ""))

    def numbers(self) -> dict[str, float]:
        """The finite numeric metrics (no status, identity or seed fields)."""
        return {
            k: float(v) for k, v in self.metrics.items() if k not in NOT_METRICS and is_number(v)
        }


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def parse_override(text: str) -> tuple[str, str]:
    """``+key=value`` / ``~key=value`` / ``key=value`` → (key, value)."""
    key, _, value = text.partition("=")
    return key.lstrip("+~"), value


def _outermost(folders: set[Path]) -> list[Path]:
    """The folders not inside another of them, sorted."""
    return sorted(f for f in folders if not any(p in folders for p in f.parents))


def find_jobs(sweep_dir: Path) -> list[Job]:
    """Every job folder under ``sweep_dir`` (sorted by path).

    Raises:
        ValueError: ``sweep_dir`` does not exist or holds no job.
    """
    if not sweep_dir.is_dir():
        raise ValueError(f"sweep folder {sweep_dir} does not exist")
    folders = {p.parent.parent for p in sweep_dir.rglob(".hydra/overrides.yaml")}
    folders |= {p.parent for p in sweep_dir.rglob("metrics.json")}
    jobs = []
    for folder in _outermost(folders - {sweep_dir}):
        overrides_file = folder / ".hydra" / "overrides.yaml"
        listed = yaml.safe_load(overrides_file.read_text()) if overrides_file.is_file() else []
        overrides = dict(parse_override(str(o)) for o in listed or [])
        metrics_file = folder / "metrics.json"
        metrics = json.loads(metrics_file.read_text()) if metrics_file.is_file() else {}
        jobs.append(Job(str(folder.relative_to(sweep_dir)), folder, overrides, metrics))
    if not jobs:
        raise ValueError(
            f"no jobs in {sweep_dir}: expected folders with .hydra/overrides.yaml or metrics.json"
        )
    return jobs
