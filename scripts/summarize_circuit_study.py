"""Turn a circuit-study sweep folder into its table (mean ± std over seeds) and plots.

Every job folder of the sweep (one holding ``.hydra/overrides.yaml``) is grouped by its overrides
except the seed; overrides that are the same in every job are left out of the group names. For
each group and metric of the jobs' ``metrics.json`` the table gives mean ± std (sample std over
the group's successful jobs). Jobs whose ``status`` is not ``ok`` or that wrote no metrics are
counted in ``failed`` and left out of the statistics.

Writes next to the sweep (or into ``--out``): ``circuit_study.md``, ``circuit_study.csv`` and
``circuit_study.png`` (one bar chart per metric, error bars = std). Jobs with a tau sweep
(``circuit_sweep.json``, in a study job's ``circuit/`` stage folder) add
``circuit_study_sweep.md``/``.csv``/``.png``: edges kept, faithfulness and task accuracy per group
and tau. The Markdown ends with the headline check of
the study: how many times fewer edges the ``--contender`` regime's circuits keep than the
``--baseline``'s (groups named ``...train_type=<regime>``), and whether their faithfulness lies
within 10 % of each other (``|a - b| / max(a, b)``), at the configured tau and at every swept tau.

Run: python scripts/summarize_circuit_study.py multirun/2026-01-01/12-00-00
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import yaml  # noqa: E402

# the study's headline columns come first, in this order, when present
PREFERRED_METRICS = (
    "faithfulness",
    "faithfulness_recovered",
    "task_accuracy",
    "task_loss",
    "edges_kept",
    "edge_fraction",
    "nodes_kept",
    "node_fraction",
    "node_tpr",
    "node_fpr",
    "node_auc",
    "discovery_time_s",
    "forward_passes",
    "train_time_s",
    "peak_train_memory_mb",
    "inference_latency_ms",
)
NOT_METRICS = {"status", "error"}
SWEEP_FILE = "circuit_sweep.json"
# where a job keeps it: a study job in its circuit stage's folder, a method=circuit job at its top
SWEEP_FOLDERS = ("circuit", ".")
SWEEP_METRICS = ("edges_kept", "faithfulness", "task_accuracy", "task_loss")
EDGE_RATIO = 5.0  # the study's criterion: at least this many times fewer edges ...
FAITHFULNESS_TOLERANCE = 0.10  # ... at faithfulness within this relative difference


@dataclass
class Job:
    folder: Path
    overrides: dict[str, str]
    metrics: dict[str, float] | None
    """None when the job failed or wrote no metrics."""
    sweep: list[dict[str, float]] = field(default_factory=list)
    """the job's tau-sweep rows (``circuit_sweep.json``), empty without one."""


@dataclass
class Group:
    label: str
    values: dict[str, list[float]] = field(default_factory=dict)
    succeeded: int = 0
    failed: int = 0
    sweep: dict[float, dict[str, list[float]]] = field(default_factory=dict)
    """tau → metric → one value per job that swept it."""


def read_job(folder: Path) -> Job:
    entries = yaml.safe_load((folder / ".hydra" / "overrides.yaml").read_text()) or []
    overrides = dict(str(e).split("=", 1) for e in entries if "=" in str(e))
    metrics_file = folder / "metrics.json"
    if not metrics_file.is_file():
        return Job(folder, overrides, None)
    raw = json.loads(metrics_file.read_text())
    if raw.get("status", "ok") != "ok":
        return Job(folder, overrides, None)
    numbers = {
        k: float(v)
        for k, v in raw.items()
        if k not in NOT_METRICS and isinstance(v, int | float) and not isinstance(v, bool)
    }
    sweep_files = [folder / sub / SWEEP_FILE for sub in SWEEP_FOLDERS]
    sweep = next((json.loads(f.read_text()) for f in sweep_files if f.is_file()), [])
    return Job(folder, overrides, numbers, sweep)


def find_jobs(sweep: Path) -> list[Job]:
    folders = sorted(p.parent.parent for p in sweep.rglob(".hydra/overrides.yaml"))
    if not folders:
        raise ValueError(f"no job folders (with .hydra/overrides.yaml) under {sweep}")
    return [read_job(f) for f in folders]


def group_jobs(jobs: Sequence[Job], seed_keys: Sequence[str]) -> list[Group]:
    """Group by every override that varies between jobs, except the seed keys."""
    keys = sorted({k for job in jobs for k in job.overrides} - set(seed_keys))
    varying = [k for k in keys if len({job.overrides.get(k) for job in jobs}) > 1]
    groups: dict[str, Group] = {}
    for job in jobs:
        label = " ".join(f"{k}={job.overrides.get(k, '-')}" for k in varying) or "all"
        group = groups.setdefault(label, Group(label))
        if job.metrics is None:
            group.failed += 1
            continue
        group.succeeded += 1
        for name, value in job.metrics.items():
            group.values.setdefault(name, []).append(value)
        for row in job.sweep:
            at_tau = group.sweep.setdefault(float(row["tau"]), {})
            for name in SWEEP_METRICS:
                if name in row:
                    at_tau.setdefault(name, []).append(float(row[name]))
    return list(groups.values())


def metric_order(groups: Sequence[Group], wanted: Sequence[str] | None) -> list[str]:
    present = {name for g in groups for name in g.values}
    if wanted:
        missing = [m for m in wanted if m not in present]
        if missing:
            raise ValueError(f"metrics {missing} are in no job; present: {sorted(present)}")
        return list(wanted)
    first = [m for m in PREFERRED_METRICS if m in present]
    return first + sorted(present - set(first))


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    if not values:
        return math.nan, math.nan
    array = np.asarray(values, dtype=float)
    return float(array.mean()), float(array.std(ddof=1)) if len(array) > 1 else 0.0


def fmt(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:.4g}"


def write_markdown(path: Path, groups: Sequence[Group], metrics: Sequence[str]) -> None:
    header = ["group", "n", "failed", *metrics]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for g in groups:
        cells = [g.label, str(g.succeeded), str(g.failed)]
        for m in metrics:
            mean, std = mean_std(g.values.get(m, []))
            cells.append(f"{fmt(mean)} ± {fmt(std)}" if not math.isnan(mean) else "n/a")
        lines.append("| " + " | ".join(cells) + " |")
    path.write_text("\n".join(lines) + "\n")


def write_csv(path: Path, groups: Sequence[Group], metrics: Sequence[str]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["group", "n", "failed", *[f"{m}_{s}" for m in metrics for s in ("mean", "std")]]
        )
        for g in groups:
            row: list[str | int | float] = [g.label, g.succeeded, g.failed]
            for m in metrics:
                row.extend(mean_std(g.values.get(m, [])))
            writer.writerow(row)


def write_plot(path: Path, groups: Sequence[Group], metrics: Sequence[str]) -> None:
    columns = min(3, len(metrics))
    rows = math.ceil(len(metrics) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.5 * columns, 3.2 * rows), squeeze=False)
    positions = np.arange(len(groups))
    for ax, m in zip(axes.flat, metrics, strict=False):
        stats = [mean_std(g.values.get(m, [])) for g in groups]
        ax.bar(positions, [s[0] for s in stats], yerr=[s[1] for s in stats], capsize=4)
        ax.set_xticks(positions, [g.label for g in groups], rotation=30, ha="right", fontsize=8)
        ax.set_title(m)
    for ax in list(axes.flat)[len(metrics) :]:
        ax.set_visible(False)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def find_regime(groups: Sequence[Group], regime: str) -> Group | None:
    """The group of training regime ``regime`` (label ``...train_type=<regime>``), if any."""
    wanted = f"train_type={regime}"
    matches = [
        g for g in groups if any(t == wanted or t.endswith(f".{wanted}") for t in g.label.split())
    ]
    return matches[0] if len(matches) == 1 else None


def compare(
    baseline: dict[str, list[float]], contender: dict[str, list[float]], where: str
) -> str | None:
    """One headline line: edge ratio and faithfulness gap of mean values; None without data."""
    needed = ("edges_kept", "faithfulness")
    if any(not baseline.get(m) or not contender.get(m) for m in needed):
        return None
    edges_b, edges_c = (mean_std(d["edges_kept"])[0] for d in (baseline, contender))
    faith_b, faith_c = (mean_std(d["faithfulness"])[0] for d in (baseline, contender))
    ratio = edges_b / edges_c if edges_c > 0 else math.inf
    largest = max(abs(faith_b), abs(faith_c))
    gap = abs(faith_b - faith_c) / largest if largest > 0 else 0.0
    holds = ratio >= EDGE_RATIO and gap <= FAITHFULNESS_TOLERANCE
    return (
        f"| {where} | {fmt(edges_b)} | {fmt(edges_c)} | {ratio:.2f}x | {fmt(faith_b)} | "
        f"{fmt(faith_c)} | {100 * gap:.0f} % | {'holds' if holds else 'does not hold'} |"
    )


def headline(groups: Sequence[Group], baseline: str, contender: str) -> list[str]:
    """The study's criterion as a Markdown table (empty when either regime is missing)."""
    base, cont = find_regime(groups, baseline), find_regime(groups, contender)
    if base is None or cont is None:
        return []
    rows = [compare(base.values, cont.values, "configured tau")]
    for tau in sorted(set(base.sweep) & set(cont.sweep)):
        rows.append(compare(base.sweep[tau], cont.sweep[tau], f"tau={tau:g}"))
    rows += matched_rows(base, cont)
    kept = [r for r in rows if r is not None]
    if not kept:
        return []
    return [
        "",
        f"Criterion: {contender} circuits keep ≥ {EDGE_RATIO:g}x fewer edges than {baseline} "
        f"at faithfulness within {100 * FAITHFULNESS_TOLERANCE:.0f} % (|a - b| / max(a, b), "
        "means over seeds). Rows 'matched' pair each swept tau of "
        f"{baseline} with the sparsest swept {contender} circuit whose faithfulness is at most "
        f"{100 * FAITHFULNESS_TOLERANCE:.0f} % worse (lower = closer to the full model), which "
        "holds when that ratio reaches the factor.",
        "",
        f"| where | edges {baseline} | edges {contender} | ratio | faithfulness {baseline} | "
        f"faithfulness {contender} | gap | criterion |",
        "|---|---|---|---|---|---|---|---|",
        *kept,
    ]


def matched_rows(base: Group, cont: Group) -> list[str | None]:
    """Per swept baseline tau: against the sparsest contender sweep point (mean over seeds)
    whose faithfulness ≤ (1 + tolerance) x the baseline's."""
    points = []
    for tau, values in cont.sweep.items():
        if values.get("edges_kept") and values.get("faithfulness"):
            edges, faith = mean_std(values["edges_kept"])[0], mean_std(values["faithfulness"])[0]
            points.append((edges, faith, tau))
    rows: list[str | None] = []
    for tau in sorted(base.sweep):
        values = base.sweep[tau]
        if not values.get("edges_kept") or not values.get("faithfulness"):
            continue
        limit = (1 + FAITHFULNESS_TOLERANCE) * mean_std(values["faithfulness"])[0]
        good = sorted(p for p in points if p[1] <= limit)
        if not good:
            edges_b, faith_b = (fmt(mean_std(values[m])[0]) for m in ("edges_kept", "faithfulness"))
            rows.append(
                f"| matched tau={tau:g} | {edges_b} | n/a | n/a | {faith_b} | n/a | n/a | "
                "does not hold |"
            )
            continue
        edges, faith, cont_tau = good[0]
        ratio = mean_std(values["edges_kept"])[0] / edges if edges > 0 else math.inf
        rows.append(
            f"| matched tau={tau:g} vs tau={cont_tau:g} | {fmt(mean_std(values['edges_kept'])[0])} "
            f"| {fmt(edges)} | {ratio:.2f}x | {fmt(mean_std(values['faithfulness'])[0])} | "
            f"{fmt(faith)} | ≤ +{100 * FAITHFULNESS_TOLERANCE:.0f} % | "
            f"{'holds' if ratio >= EDGE_RATIO else 'does not hold'} |"
        )
    return rows


def sweep_rows(groups: Sequence[Group]) -> list[tuple[Group, float, dict[str, list[float]]]]:
    return [(g, tau, g.sweep[tau]) for g in groups for tau in sorted(g.sweep)]


def write_sweep_tables(out: Path, groups: Sequence[Group]) -> bool:
    """``circuit_study_sweep.md``/``.csv``/``.png``; False (nothing written) without sweeps."""
    rows = sweep_rows(groups)
    if not rows:
        return False
    names = [m for m in SWEEP_METRICS if any(m in values for _, _, values in rows)]
    lines = [
        "| group | tau | n | " + " | ".join(names) + " |",
        "|" + "---|" * (3 + len(names)),
    ]
    with (out / "circuit_study_sweep.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["group", "tau", "n", *[f"{m}_{s}" for m in names for s in ("mean", "std")]]
        )
        for group, tau, values in rows:
            stats = [mean_std(values.get(m, [])) for m in names]
            n = max(len(values.get(m, [])) for m in names)
            cells = [f"{fmt(a)} ± {fmt(b)}" if not math.isnan(a) else "n/a" for a, b in stats]
            lines.append(f"| {group.label} | {tau:g} | {n} | " + " | ".join(cells) + " |")
            writer.writerow([group.label, tau, n, *[v for pair in stats for v in pair]])
    (out / "circuit_study_sweep.md").write_text("\n".join(lines) + "\n")
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for group in groups:
        taus = sorted(group.sweep)
        if not taus:
            continue
        for ax, name in zip(axes, ("edges_kept", "faithfulness"), strict=True):
            stats = [mean_std(group.sweep[t].get(name, [])) for t in taus]
            ax.errorbar(
                taus,
                [s[0] for s in stats],
                yerr=[s[1] for s in stats],
                marker="o",
                capsize=3,
                label=group.label,
            )
    for ax, name in zip(axes, ("edges kept", "faithfulness (lower = closer)"), strict=True):
        ax.set_xscale("log")
        ax.set_xlabel("tau")
        ax.set_ylabel(name)
    axes[0].set_yscale("log")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "circuit_study_sweep.png", dpi=120)
    plt.close(fig)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep", type=Path, help="sweep root (Hydra multirun folder)")
    parser.add_argument(
        "--seed-key",
        action="append",
        default=None,
        help="override(s) that only change the seed (default: seed)",
    )
    parser.add_argument("--metrics", default=None, help="comma-separated metrics (default: all)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: sweep)")
    parser.add_argument("--baseline", default="vanilla", help="regime compared against")
    parser.add_argument("--contender", default="bimt", help="regime expected to be sparser")
    args = parser.parse_args(argv)
    if not args.sweep.is_dir():
        parser.error(f"sweep folder {args.sweep} does not exist")
    groups = group_jobs(find_jobs(args.sweep), args.seed_key or ["seed"])
    metrics = metric_order(groups, args.metrics.split(",") if args.metrics else None)
    out = args.out or args.sweep
    out.mkdir(parents=True, exist_ok=True)
    write_markdown(out / "circuit_study.md", groups, metrics)
    write_csv(out / "circuit_study.csv", groups, metrics)
    if metrics:
        write_plot(out / "circuit_study.png", groups, metrics)
    check = headline(groups, args.baseline, args.contender)
    if check:
        with (out / "circuit_study.md").open("a") as handle:
            handle.write("\n".join(check) + "\n")
    print((out / "circuit_study.md").read_text(), end="")
    if write_sweep_tables(out, groups):
        print()
        print((out / "circuit_study_sweep.md").read_text(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
