"""Summarise a sweep folder: every job's overrides and final metrics, success rates per
hyperparameter value, plots against each swept coefficient (one line per method) and the failed
jobs with their errors.

A job is a folder holding ``.hydra/overrides.yaml`` and/or ``metrics.json``. Success (the
reference's acceptance test, spd.md §7): ``mmcs ≥ 0.99``, ``0.95 ≤ ml2r ≤ 1.05`` and
``target_solution_error == 0`` in a job whose status is ``ok``.

Writes ``sweep_summary.csv``, ``sweep_summary.md`` and ``sweep_<key>.png`` per swept key (other
than the seed) into the sweep folder or ``--out``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import yaml  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from subnetlab.utils.atomic_files import (  # noqa: E402
    atomic_write,
    save_figure_atomic,
    write_text_atomic,
)

MMCS_MIN = 0.99
ML2R_RANGE = (0.95, 1.05)
HEADLINE = ("mmcs", "ml2r", "target_solution_error")
SEED_KEY = "seed"


@dataclass
class Job:
    path: str
    overrides: dict[str, str]
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return str(self.metrics.get("status", "missing"))

    @property
    def method(self) -> str:
        return str(self.metrics.get("method") or self.overrides.get("method", "?"))

    @property
    def error(self) -> str:
        if not self.metrics:
            return "no metrics.json (job did not finish)"
        return str(self.metrics.get("error", ""))

    @property
    def success(self) -> bool:
        m = self.metrics
        if self.status != "ok" or any(not _is_number(m.get(k)) for k in HEADLINE):
            return False
        return (
            m["mmcs"] >= MMCS_MIN
            and ML2R_RANGE[0] <= m["ml2r"] <= ML2R_RANGE[1]
            and m["target_solution_error"] == 0
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _parse_override(text: str) -> tuple[str, str]:
    key, _, value = text.partition("=")
    return key.lstrip("+~"), value


def find_jobs(sweep_dir: Path) -> list[Job]:
    """Every job folder under ``sweep_dir`` (sorted by path)."""
    folders = {p.parent.parent for p in sweep_dir.rglob(".hydra/overrides.yaml")}
    folders |= {p.parent for p in sweep_dir.rglob("metrics.json")}
    jobs = []
    for folder in sorted(folders):
        overrides_file = folder / ".hydra" / "overrides.yaml"
        listed = yaml.safe_load(overrides_file.read_text()) if overrides_file.is_file() else []
        overrides = dict(_parse_override(str(o)) for o in listed or [])
        metrics_file = folder / "metrics.json"
        metrics = json.loads(metrics_file.read_text()) if metrics_file.is_file() else {}
        jobs.append(Job(str(folder.relative_to(sweep_dir)), overrides, metrics))
    return jobs


def swept_keys(jobs: list[Job]) -> list[str]:
    """Override keys that take more than one value among one method's jobs (so the keys that
    only tell methods apart, e.g. ``experiment`` in a folder holding an SPD and an APD sweep,
    are not sweeps)."""
    values: dict[tuple[str, str], set[str]] = defaultdict(set)
    for job in jobs:
        for key, value in job.overrides.items():
            values[(job.method, key)].add(value)
    return sorted({key for (_, key), seen in values.items() if len(seen) > 1})


def _sort_key(value: str) -> tuple[int, float, str]:
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


def success_rates(jobs: list[Job], key: str) -> list[dict[str, Any]]:
    """Per (method, value of ``key``): jobs, successes, rate and mean headline metrics."""
    groups: dict[tuple[str, str], list[Job]] = defaultdict(list)
    for job in jobs:
        if key in job.overrides:
            groups[(job.method, job.overrides[key])].append(job)
    rows = []
    for (method, value), members in sorted(
        groups.items(), key=lambda item: (item[0][0], _sort_key(item[0][1]))
    ):
        row: dict[str, Any] = {
            "method": method,
            key: value,
            "jobs": len(members),
            "successes": sum(j.success for j in members),
        }
        row["success_rate"] = row["successes"] / len(members)
        for metric in HEADLINE:
            numbers = [j.metrics[metric] for j in members if _is_number(j.metrics.get(metric))]
            row[f"mean_{metric}"] = sum(numbers) / len(numbers) if numbers else math.nan
        rows.append(row)
    return rows


def job_rows(jobs: list[Job], keys: list[str]) -> list[dict[str, Any]]:
    metric_keys = sorted(
        {k for j in jobs for k, v in j.metrics.items() if _is_number(v)} - set(HEADLINE)
    )
    rows = []
    for job in jobs:
        row: dict[str, Any] = {"job": job.path, "method": job.method, "status": job.status}
        row.update({k: job.overrides.get(k, "") for k in keys})
        row["success"] = job.success
        row.update({k: job.metrics.get(k, "") for k in (*HEADLINE, *metric_keys)})
        row["error"] = job.error if job.status != "ok" else ""
        rows.append(row)
    return rows


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_fmt(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def plot_key(rates: list[dict[str, Any]], key: str) -> Figure:
    """Success rate, mean MMCS and mean ML2R against the values of ``key``, one line per
    method."""
    fig, axes = plt.subplots(1, 3, figsize=(13.0, 3.6))
    methods = sorted({r["method"] for r in rates})
    numeric = all(_sort_key(r[key])[0] == 0 for r in rates)
    for method in methods:
        mine = [r for r in rates if r["method"] == method]
        xs: list[Any] = [float(r[key]) if numeric else r[key] for r in mine]
        for ax, column in zip(axes, ("success_rate", "mean_mmcs", "mean_ml2r"), strict=True):
            ax.plot(xs, [r[column] for r in mine], marker="o", label=method)
    positive = numeric and all(float(r[key]) > 0 for r in rates)
    values = [float(r[key]) for r in rates] if numeric else []
    for ax, title in zip(axes, ("success rate", "mean MMCS", "mean ML2R"), strict=True):
        ax.set_xlabel(key)
        ax.set_title(title)
        if positive and max(values) / min(values) >= 10:
            ax.set_xscale("log")
    axes[0].set_ylim(-0.05, 1.05)
    axes[1].axhline(MMCS_MIN, color="grey", linestyle="--", linewidth=0.8)
    for bound in ML2R_RANGE:
        axes[2].axhline(bound, color="grey", linestyle="--", linewidth=0.8)
    axes[0].legend()
    fig.tight_layout()
    return fig


def summarize(sweep_dir: Path, out_dir: Path | None = None) -> dict[str, Path]:
    """Write the CSV, Markdown and plots; returns their paths by kind."""
    if not sweep_dir.is_dir():
        raise ValueError(f"sweep folder {sweep_dir} does not exist")
    jobs = find_jobs(sweep_dir)
    if not jobs:
        raise ValueError(
            f"no jobs in {sweep_dir}: expected folders with .hydra/overrides.yaml or metrics.json"
        )
    out = out_dir or sweep_dir
    out.mkdir(parents=True, exist_ok=True)
    keys = swept_keys(jobs)
    rows = job_rows(jobs, keys)
    written: dict[str, Path] = {"csv": out / "sweep_summary.csv", "md": out / "sweep_summary.md"}
    columns = list(dict.fromkeys(k for r in rows for k in r))
    with atomic_write(written["csv"], "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    n_ok = sum(j.success for j in jobs)
    parts = [
        f"# Sweep summary: {sweep_dir}",
        "",
        f"{len(jobs)} jobs, {n_ok} successful ({n_ok / len(jobs):.0%}); success = mmcs ≥ "
        f"{MMCS_MIN}, {ML2R_RANGE[0]} ≤ ml2r ≤ {ML2R_RANGE[1]}, target_solution_error = 0.",
        "",
        "## Jobs",
        "",
        markdown_table(rows, ["job", "method", "status", *keys, "success", *HEADLINE]),
    ]
    for key in keys:
        rates = success_rates(jobs, key)
        parts += ["", f"## Success rate by {key}", ""]
        parts.append(
            markdown_table(
                rates,
                ["method", key, "jobs", "successes", "success_rate"]
                + [f"mean_{m}" for m in HEADLINE],
            )
        )
        if key != SEED_KEY:
            path = out / f"sweep_{key.replace('/', '_')}.png"
            fig = plot_key(rates, key)
            save_figure_atomic(path, fig, dpi=110)
            plt.close(fig)
            written[f"plot:{key}"] = path
    failed = [j for j in jobs if j.status != "ok"]
    parts += ["", f"## Failed jobs ({len(failed)})", ""]
    parts += [f"- `{j.path}` ({j.status}): {j.error}" for j in failed] or ["none"]
    write_text_atomic(written["md"], "\n".join(parts) + "\n")
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="subnetlab-summarize-sweep",
        description="Table, success rates and plots of a Hydra sweep folder (python run.py -m).",
    )
    parser.add_argument("sweep_dir", type=Path, help="the multirun folder of the sweep")
    parser.add_argument("--out", type=Path, default=None, help="where to write (default: it)")
    args = parser.parse_args(argv)
    try:
        written = summarize(args.sweep_dir, args.out)
    except ValueError as err:
        parser.error(str(err))
    for kind, path in written.items():
        print(f"{kind}: {path}")
