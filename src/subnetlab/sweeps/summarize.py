"""Summarise a sweep folder: every job's overrides and final metrics, means (and, given a success
criterion, success rates) per value of each swept hyperparameter, plots against each swept key
(one line per method) and the failed jobs with their errors.

The headline metrics (the Markdown's columns and the plots' panels) are the ones asked for, else
the criterion's, else every metric all finished jobs report; the CSV holds every metric. Writes
``sweep_summary.csv``, ``sweep_summary.md`` and ``sweep_<key>.png`` per swept key (other than the
seed) into the sweep folder or ``--out``.
"""

from __future__ import annotations

import argparse
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

from subnetlab.analysis.figure_files import add_footer, render_png  # noqa: E402
from subnetlab.analysis.panels import panel_grid  # noqa: E402
from subnetlab.utils.atomic_files import write_bytes_atomic, write_text_atomic  # noqa: E402

from .criteria import SuccessCriterion  # noqa: E402
from .jobs import Job, find_jobs, is_number  # noqa: E402
from .spd_criterion import KNOWN_SOLUTION, MECHANISMS_RECOVERED, TMS_RECOVERY  # noqa: E402
from .tables import markdown_table, write_csv  # noqa: E402

SEED_KEY = "seed"
#: the criteria ``--criterion`` can name
CRITERIA: dict[str, SuccessCriterion] = {
    c.name: c for c in (TMS_RECOVERY, MECHANISMS_RECOVERED, KNOWN_SOLUTION)
}
#: metrics that describe the run, not its result (left out of the default headline)
BOOKKEEPING = frozenset({"wall_time_s"})


def swept_keys(jobs: list[Job]) -> list[str]:
    """Override keys that take more than one value among one method's jobs (so the keys that
    only tell methods apart, e.g. ``experiment`` in a folder holding an SPD and an APD sweep,
    are not sweeps)."""
    values: dict[tuple[str, str], set[str]] = defaultdict(set)
    for job in jobs:
        for key, value in job.overrides.items():
            values[(job.method, key)].add(value)
    return sorted({key for (_, key), seen in values.items() if len(seen) > 1})


def headline_metrics(
    jobs: Sequence[Job], criterion: SuccessCriterion | None, metrics: Sequence[str] | None
) -> list[str]:
    """``metrics`` when given, else the criterion's, else those every finished job reports.

    Raises:
        ValueError: a metric asked for is in no job.
    """
    if metrics:
        present = {k for j in jobs for k in j.numbers()}
        missing = [m for m in metrics if m not in present]
        if missing:
            raise ValueError(f"metrics {missing} are in no job; present: {sorted(present)}")
        return list(metrics)
    if criterion is not None:
        return list(criterion.metrics)
    finished = [set(j.numbers()) for j in jobs if j.status == "ok"]
    return sorted(set.intersection(*finished) - BOOKKEEPING) if finished else []


def _sort_key(value: str) -> tuple[int, float, str]:
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


def _mean(jobs: Sequence[Job], metric: str) -> float:
    numbers = [j.metrics[metric] for j in jobs if is_number(j.metrics.get(metric))]
    return sum(numbers) / len(numbers) if numbers else math.nan


def rates_by_value(
    jobs: list[Job], key: str, headline: Sequence[str], criterion: SuccessCriterion | None
) -> list[dict[str, Any]]:
    """Per (method, value of ``key``): jobs, successes and rate (given a criterion), and the
    mean of each headline metric."""
    groups: dict[tuple[str, str], list[Job]] = defaultdict(list)
    for job in jobs:
        if key in job.overrides:
            groups[(job.method, job.overrides[key])].append(job)
    rows = []
    for (method, value), members in sorted(
        groups.items(), key=lambda item: (item[0][0], _sort_key(item[0][1]))
    ):
        row: dict[str, Any] = {"method": method, key: value, "jobs": len(members)}
        if criterion is not None:
            row["successes"] = sum(criterion.passes(j.metrics) for j in members)
            row["success_rate"] = row["successes"] / len(members)
        row.update({f"mean_{m}": _mean(members, m) for m in headline})
        rows.append(row)
    return rows


def job_rows(
    jobs: list[Job], keys: list[str], headline: Sequence[str], criterion: SuccessCriterion | None
) -> list[dict[str, Any]]:
    """One row per job: overrides of the swept keys, success, headline then other metrics."""
    others = sorted({k for j in jobs for k in j.numbers()} - set(headline))
    rows = []
    for job in jobs:
        row: dict[str, Any] = {"job": job.path, "method": job.method, "status": job.status}
        row.update({k: job.overrides.get(k, "") for k in keys})
        if criterion is not None:
            row["success"] = criterion.passes(job.metrics)
        row.update({k: job.metrics.get(k, "") for k in (*headline, *others)})
        row["error"] = job.error if job.status != "ok" else ""
        rows.append(row)
    return rows


def plot_key(
    rates: list[dict[str, Any]],
    key: str,
    headline: Sequence[str],
    criterion: SuccessCriterion | None,
) -> Figure:
    """Success rate (given a criterion) and the mean of each headline metric against the values
    of ``key``, one line per method; dashed lines mark the criterion's bounds."""
    panels = (["success_rate"] if criterion is not None else []) + [f"mean_{m}" for m in headline]
    fig, axes = panel_grid(len(panels), 4.3, 3.4, columns=2 if len(panels) == 4 else 3)
    methods = sorted({r["method"] for r in rates})
    numeric = all(_sort_key(r[key])[0] == 0 for r in rates)
    for method in methods:
        mine = [r for r in rates if r["method"] == method]
        xs: list[Any] = [float(r[key]) if numeric else r[key] for r in mine]
        for ax, column in zip(axes, panels, strict=True):
            ax.plot(xs, [r[column] for r in mine], marker="o", label=method)
    positive = numeric and all(float(r[key]) > 0 for r in rates)
    values = [float(r[key]) for r in rates] if numeric else []
    for ax, column in zip(axes, panels, strict=True):
        ax.set_xlabel(key)
        metric = column.removeprefix("mean_")
        label = "success rate (jobs passing)" if column == "success_rate" else f"mean {metric}"
        ax.set_ylabel(label)
        ax.set_title(f"{label} by {key}", fontsize=9)
        if positive and max(values) / min(values) >= 10:
            ax.set_xscale("log")
        if criterion is not None and metric in criterion.bounds:
            for bound in criterion.bounds[metric]:
                if bound is not None:
                    ax.axhline(bound, color="grey", linestyle="--", linewidth=0.8)
    if criterion is not None:
        axes[0].set_ylim(-0.05, 1.05)
    axes[0].legend(fontsize=8)
    return fig


def summarize(
    sweep_dir: Path,
    out_dir: Path | None = None,
    criterion: SuccessCriterion | None = None,
    metrics: Sequence[str] | None = None,
) -> dict[str, Path]:
    """Write the CSV, Markdown and plots; returns their paths by kind.

    Raises:
        ValueError: the folder does not exist or holds no job.
    """
    jobs = find_jobs(sweep_dir)
    out = out_dir or sweep_dir
    out.mkdir(parents=True, exist_ok=True)
    keys = swept_keys(jobs)
    headline = headline_metrics(jobs, criterion, metrics)
    rows = job_rows(jobs, keys, headline, criterion)
    written: dict[str, Path] = {"csv": out / "sweep_summary.csv", "md": out / "sweep_summary.md"}
    write_csv(written["csv"], rows)
    overview = f"{len(jobs)} jobs"
    if criterion is not None:
        n_ok = sum(criterion.passes(j.metrics) for j in jobs)
        overview += (
            f", {n_ok} successful ({n_ok / len(jobs):.0%}); success = {criterion.describe()}."
        )
    success = ["success"] if criterion is not None else []
    parts = [
        f"# Sweep summary: {sweep_dir}",
        "",
        overview,
        "",
        "## Jobs",
        "",
        markdown_table(rows, ["job", "method", "status", *keys, *success, *headline]),
    ]
    for key in keys:
        rates = rates_by_value(jobs, key, headline, criterion)
        title = "Success rate" if criterion is not None else "Means"
        parts += ["", f"## {title} by {key}", ""]
        counts = ["successes", "success_rate"] if criterion is not None else []
        columns = ["method", key, "jobs", *counts, *(f"mean_{m}" for m in headline)]
        parts.append(markdown_table(rates, columns))
        if key != SEED_KEY and (headline or criterion is not None):
            path = out / f"sweep_{key.replace('/', '_')}.png"
            fig = plot_key(rates, key, headline, criterion)
            add_footer(fig, f"{sweep_dir.parent.name}/{sweep_dir.name} · {len(jobs)} jobs")
            write_bytes_atomic(path, render_png(fig))
            written[f"plot:{key}"] = path
    failed = [j for j in jobs if j.status != "ok"]
    parts += ["", f"## Failed jobs ({len(failed)})", ""]
    parts += [f"- `{j.path}` ({j.status}): {j.error}" for j in failed] or ["none"]
    write_text_atomic(written["md"], "\n".join(parts) + "\n")
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="subnetlab-summarize-sweep",
        description="Table, means or success rates, and plots of a Hydra sweep folder "
        "(python run.py -m).",
    )
    parser.add_argument("sweep_dir", type=Path, help="the multirun folder of the sweep")
    parser.add_argument("--out", type=Path, default=None, help="where to write (default: it)")
    parser.add_argument(
        "--criterion",
        choices=sorted(CRITERIA),
        default=None,
        help="success criterion to report rates of (spd_tms: SPD/APD recovering a TMS target; "
        "mechanisms: MMCS and the CI pattern, not ML2R; spd_known_solution: the CI pattern "
        "alone, e.g. ResidMLP)",
    )
    parser.add_argument(
        "--metrics", default=None, help="comma-separated headline metrics (default: see above)"
    )
    args = parser.parse_args(argv)
    criterion = CRITERIA[args.criterion] if args.criterion else None
    metrics = args.metrics.split(",") if args.metrics else None
    try:
        written = summarize(args.sweep_dir, args.out, criterion, metrics)
    except ValueError as err:
        parser.error(str(err))
    for kind, path in written.items():
        print(f"{kind}: {path}")
