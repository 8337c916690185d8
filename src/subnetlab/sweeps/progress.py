"""What a sweep (``python run.py -m ...``) says as it goes: one line when each job starts and
ends (its folder, status and time), and a summary when the sweep ends (the sweep folder, how many
jobs are ok / failed, the failed jobs' errors).

A Hydra callback (``hydra.callbacks.sweep_progress`` in conf/config.yaml): the job lines are
logged in the job's process (a joblib worker, a SLURM task), so they are in the job's run.log
too; the summary is printed by the sweep's main process from the jobs' ``metrics.json`` files,
so it counts every job of the folder, also those a re-run skipped because they had finished.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig
from tqdm import tqdm

from subnetlab.sweeps.jobs import Job, find_jobs

#: the logger of the job lines (``[subnetlab.sweep]`` in their text)
SWEEP_LOGGER = "subnetlab.sweep"
log = logging.getLogger(SWEEP_LOGGER)

#: the order statuses are counted in the summary
STATUSES = ("ok", "failed", "interrupted", "missing")


def _multirun(config: DictConfig) -> bool:
    return config.hydra.mode == RunMode.MULTIRUN


def job_label(config: DictConfig) -> str:
    """``job 3 (seed=1,method.lr=0.01)``: Hydra's job number and the job's folder name (the
    overrides the sweep varies)."""
    return f"job {config.hydra.job.num} ({Path(config.hydra.runtime.output_dir).name})"


def summary_lines(sweep_dir: Path, seconds: float | None = None) -> list[str]:
    """The sweep's closing lines: counts by status and the folder, then one line per job that is
    not ok with its error."""
    try:
        jobs = find_jobs(sweep_dir)
    except ValueError:  # no job wrote anything
        jobs = []
    counts = Counter(job.status for job in jobs)
    counted = [f"{counts[s]} {s}" for s in STATUSES if counts[s] or s in ("ok", "failed")]
    took = "" if seconds is None else f" in {tqdm.format_interval(seconds)}"
    lines = [f"sweep done{took}: {len(jobs)} jobs, {', '.join(counted)}; folder {sweep_dir}"]
    lines.extend(_problem_line(job) for job in jobs if job.status != "ok")
    return lines


def _problem_line(job: Job) -> str:
    error = " ".join(job.error.split())
    return f"  {job.status}: {job.path}: {error[:300]}"


class SweepProgress(Callback):
    """Job start/end lines and the closing summary of a multirun; silent in a single run."""

    def __init__(self) -> None:
        self.sweep_started: float | None = None
        self.job_started: dict[int, float] = {}

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self.sweep_started = time.perf_counter()

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        if not _multirun(config):
            return
        self.job_started[int(config.hydra.job.num)] = time.perf_counter()
        log.info("%s started", job_label(config))

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        if not _multirun(config):
            return
        job = Path(config.hydra.runtime.output_dir)
        record = job / "metrics.json"
        metrics = json.loads(record.read_text()) if record.is_file() else {}
        if metrics:
            status = str(metrics.get("status", "ok"))
        else:
            status = "failed" if job_return.status == JobStatus.FAILED else "missing"
        started = self.job_started.pop(int(config.hydra.job.num), None)
        took = ""
        if started is not None:
            took = f" in {tqdm.format_interval(time.perf_counter() - started)}"
        log.info("%s %s%s: %s", job_label(config), status, took, job)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        seconds = None if self.sweep_started is None else time.perf_counter() - self.sweep_started
        # printed, not logged: after in-process jobs the root logger still writes the last
        # job's run.log
        for line in summary_lines(Path(config.hydra.sweep.dir), seconds):
            print(line, flush=True)
