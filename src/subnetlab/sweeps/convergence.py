"""Success rate against the training step: the fraction of a sweep's jobs that meet a criterion
at each evaluation, read from each job's logged evaluations (``csv/metrics.csv``, written with
``logger=csv``) and its final ``metrics.json``. It tells a method that is not robust from one that
has not converged yet at the budget it was given.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from subnetlab.analysis.figure_files import render_png  # noqa: E402
from subnetlab.utils.atomic_files import write_bytes_atomic  # noqa: E402

from .criteria import SuccessCriterion  # noqa: E402
from .jobs import Job  # noqa: E402

EVAL_PREFIX = "eval/"
FINAL_STEP_KEY = "steps"


def eval_history(job: Job) -> dict[int, dict[str, float]]:
    """The job's evaluations by step (``eval/`` dropped from the names), from its CSV log, with
    its final metrics as the last point (at the largest logged step + its eval spacing, or at
    ``method.steps`` when the overrides name it). Empty without a CSV log."""
    history: dict[int, dict[str, float]] = defaultdict(dict)
    for path in sorted(job.folder.glob("csv/**/metrics.csv")):
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                for key, value in row.items():
                    if key.startswith(EVAL_PREFIX) and value not in ("", None):
                        history[int(row["step"])][key[len(EVAL_PREFIX) :]] = float(value)
    if not history:
        return {}
    steps = sorted(history)
    if job.status == "ok":
        gap = steps[-1] - steps[-2] if len(steps) > 1 else steps[-1]
        final_step = int(job.overrides.get("method.steps", steps[-1] + gap))
        history[max(final_step, steps[-1] + 1)] = {
            k: float(v) for k, v in job.metrics.items() if isinstance(v, int | float)
        }
    return dict(sorted(history.items()))


def success_curve(jobs: Sequence[Job], criterion: SuccessCriterion) -> list[tuple[int, float]]:
    """(step, fraction of ``jobs`` passing ``criterion`` there) at the steps every job logged;
    a job that ended before a step keeps its last evaluation."""
    histories = [h for h in (eval_history(j) for j in jobs) if h]
    if not histories:
        return []
    steps = sorted({s for h in histories for s in h})
    curve = []
    for step in steps:
        passing = 0
        for history in histories:
            earlier = [s for s in history if s <= step]
            if earlier and criterion.passes({"status": "ok", **history[earlier[-1]]}):
                passing += 1
        curve.append((step, passing / len(histories)))
    return curve


def convergence_figure(
    curves: dict[str, list[tuple[int, float]]], criterion: SuccessCriterion, title: str
) -> Figure:
    """One line per group (e.g. ``spd β3=0.003``): success rate against the step.

    Raises:
        ValueError: no group has a curve.
    """
    drawn = {name: curve for name, curve in curves.items() if curve}
    if not drawn:
        raise ValueError("no evaluation history to draw (were the jobs run with logger=csv?)")
    fig, ax = plt.subplots(figsize=(7.0, 4.2), layout="constrained")
    styles = ["-", "--", ":", "-."]
    for i, (name, curve) in enumerate(sorted(drawn.items())):
        steps, rates = zip(*curve, strict=True)
        ax.plot(steps, rates, linestyle=styles[i % len(styles)], marker=".", label=name)
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel("step")
    ax.set_ylabel("fraction of seeds passing")
    ax.set_title(f"{title}\n{criterion.describe()}", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    return fig


def final_rate(curve: list[tuple[int, float]]) -> float:
    return curve[-1][1] if curve else math.nan


def group_curves(
    jobs: Sequence[Job], key: str, criterion: SuccessCriterion
) -> dict[str, list[tuple[int, float]]]:
    """Curves per (method, value of ``key``) among ``jobs``: ``"spd method.topk=0.3"``."""
    groups: dict[str, list[Job]] = defaultdict(list)
    for job in jobs:
        if key in job.overrides:
            groups[f"{job.method} {key.rsplit('.', 1)[-1]}={job.overrides[key]}"].append(job)
    return {name: success_curve(members, criterion) for name, members in groups.items()}


def write_convergence(
    path: Path, jobs: Sequence[Job], keys: Sequence[str], criterion: SuccessCriterion, title: str
) -> dict[str, list[tuple[int, float]]]:
    """The figure of ``group_curves`` for every key in ``keys`` at ``path``; returns the curves."""
    curves: dict[str, list[tuple[int, float]]] = {}
    for key in keys:
        curves.update(group_curves(jobs, key, criterion))
    write_bytes_atomic(path, render_png(convergence_figure(curves, criterion, title)))
    return curves
