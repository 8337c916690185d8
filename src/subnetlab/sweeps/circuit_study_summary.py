"""The circuit study's summary (after Nainani 2024): per training regime, circuits' size and
faithfulness (mean ± std over seeds), and whether the contender regime's circuits are the
promised factor sparser at no worse faithfulness.

Jobs (see :mod:`.jobs`) are grouped by their overrides except the seed; overrides that are the
same in every job are left out of the group names. A job's regime is its ``train_type`` override
(``study.train.train_type`` or ``method.train.train_type``). Jobs whose status is not ``ok``
count as ``failed`` and are left out of the statistics.

Writes next to the sweep (or into ``out_dir``):

- ``circuit_study.md``: the verdict, the headline columns per group and the comparison table;
  ``circuit_study.csv``: every metric's mean and std per group;
- ``circuit_study.png``: one bar chart (error bars = std) per headline metric that differs
  between the groups;
- with tau sweeps (``circuit_sweep.json`` in a job's folder or one of its stages'):
  ``circuit_study_sweep.md``/``.csv``/``.png``, edges kept, faithfulness and task score per group
  and tau.

The comparison: the contender holds against the baseline where its circuits keep at least
``EDGE_RATIO`` times fewer edges and their faithfulness (a distance to the full model: lower is
better) is at most ``FAITHFULNESS_TOLERANCE`` worse, relative to the baseline's; being more
faithful never counts against it. It is checked at the configured tau, at every swept tau, and
"matched": each swept baseline tau against the sparsest swept contender circuit that is at most
that much less faithful.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from subnetlab.analysis.figure_files import add_footer, render_png  # noqa: E402
from subnetlab.utils.atomic_files import write_bytes_atomic, write_text_atomic  # noqa: E402

from .jobs import Job, find_jobs  # noqa: E402
from .tables import fmt, markdown_table, write_csv  # noqa: E402

#: the table's columns, in this order, when the jobs report them (the CSV holds every metric)
HEADLINE = (
    "faithfulness",
    "edges_kept",
    "task_accuracy",
    "task_loss",
    "node_tpr",
    "node_fpr",
    "node_auc",
    "discovery_time_s",
    "train_time_s",
)
SWEEP_FILE = "circuit_sweep.json"
SWEEP_METRICS = ("edges_kept", "faithfulness", "task_accuracy", "task_loss")
REGIME_KEY = "train_type"
EDGE_RATIO = 5.0  # the study's criterion: at least this many times fewer edges ...
FAITHFULNESS_TOLERANCE = 0.10  # ... at faithfulness at most this much worse (relative)


@dataclass
class Group:
    label: str
    regime: str | None
    values: dict[str, list[float]] = field(default_factory=dict)
    succeeded: int = 0
    failed: int = 0
    sweep: dict[float, dict[str, list[float]]] = field(default_factory=dict)
    """tau → metric → one value per job that swept it."""


def regime_of(overrides: dict[str, str]) -> str | None:
    """The value of the job's ``train_type`` override (under any prefix), if it has one."""
    for key, value in overrides.items():
        if key == REGIME_KEY or key.endswith(f".{REGIME_KEY}"):
            return value
    return None


def sweep_of(job: Job) -> list[dict[str, float]]:
    """The job's tau-sweep rows: its own ``circuit_sweep.json`` or a stage's."""
    files = [job.folder / SWEEP_FILE] if (job.folder / SWEEP_FILE).is_file() else []
    files = files or sorted(job.folder.rglob(SWEEP_FILE))
    return json.loads(files[0].read_text()) if files else []


def group_jobs(jobs: Sequence[Job], seed_keys: Sequence[str]) -> list[Group]:
    """Group by every override that varies between jobs, except the seed keys."""
    keys = sorted({k for job in jobs for k in job.overrides} - set(seed_keys))
    varying = [k for k in keys if len({job.overrides.get(k) for job in jobs}) > 1]
    groups: dict[str, Group] = {}
    for job in jobs:
        label = " ".join(f"{k}={job.overrides.get(k, '-')}" for k in varying) or "all"
        group = groups.setdefault(label, Group(label, regime_of(job.overrides)))
        if job.status != "ok":
            group.failed += 1
            continue
        group.succeeded += 1
        for name, value in job.numbers().items():
            group.values.setdefault(name, []).append(value)
        for row in sweep_of(job):
            at_tau = group.sweep.setdefault(float(row["tau"]), {})
            for name in SWEEP_METRICS:
                if name in row:
                    at_tau.setdefault(name, []).append(float(row[name]))
    return list(groups.values())


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample std (0 for one value, NaN for none)."""
    if not values:
        return math.nan, math.nan
    array = np.asarray(values, dtype=float)
    return float(array.mean()), float(array.std(ddof=1)) if len(array) > 1 else 0.0


def present_metrics(groups: Sequence[Group]) -> list[str]:
    """Every metric some group reports: the headline ones first, then the rest sorted."""
    present = {name for g in groups for name in g.values}
    first = [m for m in HEADLINE if m in present]
    return first + sorted(present - set(first))


def table_metrics(groups: Sequence[Group], wanted: Sequence[str] | None) -> list[str]:
    """The table's metrics: ``wanted``, else the headline ones the jobs report.

    Raises:
        ValueError: a wanted metric is in no job.
    """
    present = present_metrics(groups)
    if wanted:
        missing = [m for m in wanted if m not in present]
        if missing:
            raise ValueError(f"metrics {missing} are in no job; present: {present}")
        return list(wanted)
    return [m for m in HEADLINE if m in present]


def _cell(values: Sequence[float]) -> str:
    mean, std = mean_std(values)
    return "n/a" if math.isnan(mean) else f"{fmt(mean)} ± {fmt(std)}"


def group_rows(groups: Sequence[Group], metrics: Sequence[str]) -> list[dict[str, object]]:
    """Markdown rows: group, n, failed and ``mean ± std`` per metric."""
    return [
        {"group": g.label, "n": g.succeeded, "failed": g.failed}
        | {m: _cell(g.values.get(m, [])) for m in metrics}
        for g in groups
    ]


def group_csv_rows(groups: Sequence[Group], metrics: Sequence[str]) -> list[dict[str, object]]:
    """CSV rows: group, n, failed, ``<metric>_mean`` and ``<metric>_std`` per metric."""
    rows = []
    for g in groups:
        row: dict[str, object] = {"group": g.label, "n": g.succeeded, "failed": g.failed}
        for m in metrics:
            row[f"{m}_mean"], row[f"{m}_std"] = mean_std(g.values.get(m, []))
        rows.append(row)
    return rows


def varying_metrics(groups: Sequence[Group], metrics: Sequence[str]) -> list[str]:
    """The metrics whose group means differ (a panel of equal bars says nothing)."""
    kept = []
    for m in metrics:
        means = [mean_std(g.values.get(m, []))[0] for g in groups]
        finite = [x for x in means if not math.isnan(x)]
        if finite and max(finite) - min(finite) > 1e-12 * max(1.0, abs(max(finite))):
            kept.append(m)
    return kept


def write_bars(path: Path, groups: Sequence[Group], metrics: Sequence[str], footer: str) -> None:
    columns = min(3, len(metrics))
    rows = math.ceil(len(metrics) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.5 * columns, 3.2 * rows), squeeze=False)
    positions = np.arange(len(groups))
    for ax, m in zip(axes.flat, metrics, strict=False):
        stats = [mean_std(g.values.get(m, [])) for g in groups]
        ax.bar(positions, [s[0] for s in stats], yerr=[s[1] for s in stats], capsize=4)
        ax.set_xticks(positions, [g.label for g in groups], rotation=30, ha="right", fontsize=8)
        ax.set_title(f"{m} (lower = closer)" if m == "faithfulness" else m)
        ax.set_ylabel(f"{m} (mean ± std over seeds)", fontsize=8)
    for ax in list(axes.flat)[len(metrics) :]:
        ax.set_visible(False)
    fig.tight_layout()
    add_footer(fig, footer)
    write_bytes_atomic(path, render_png(fig))
    plt.close(fig)


@dataclass(frozen=True)
class Comparison:
    """Contender against baseline at one point: mean edges kept and mean faithfulness."""

    where: str
    edges_baseline: float
    edges_contender: float
    faithfulness_baseline: float
    faithfulness_contender: float

    @property
    def edge_ratio(self) -> float:
        """How many times fewer edges the contender keeps."""
        if self.edges_contender > 0:
            return self.edges_baseline / self.edges_contender
        return math.inf

    @property
    def faithfulness_change(self) -> float:
        """(contender - baseline) / |baseline|: > 0 when the contender is less faithful."""
        difference = self.faithfulness_contender - self.faithfulness_baseline
        if self.faithfulness_baseline != 0:
            return difference / abs(self.faithfulness_baseline)
        return 0.0 if difference == 0 else math.copysign(math.inf, difference)

    @property
    def holds(self) -> bool:
        return self.edge_ratio >= EDGE_RATIO and self.faithfulness_change <= FAITHFULNESS_TOLERANCE

    def row(self) -> str:
        change = self.faithfulness_change
        return (
            f"| {self.where} | {fmt(self.edges_baseline)} | {fmt(self.edges_contender)} | "
            f"{self.edge_ratio:.2f}x | {fmt(self.faithfulness_baseline)} | "
            f"{fmt(self.faithfulness_contender)} | {100 * change:+.0f} % | "
            f"{'holds' if self.holds else 'does not hold'} |"
        )


def compare(
    baseline: dict[str, list[float]], contender: dict[str, list[float]], where: str
) -> Comparison | None:
    """The comparison of mean values; None without edges and faithfulness on both sides."""
    needed = ("edges_kept", "faithfulness")
    if any(not baseline.get(m) or not contender.get(m) for m in needed):
        return None
    edges_b, edges_c = (mean_std(d["edges_kept"])[0] for d in (baseline, contender))
    faith_b, faith_c = (mean_std(d["faithfulness"])[0] for d in (baseline, contender))
    return Comparison(where, edges_b, edges_c, faith_b, faith_c)


def matched(base: Group, cont: Group) -> list[Comparison | str]:
    """Per swept baseline tau: against the sparsest contender sweep point (means over seeds) at
    most ``FAITHFULNESS_TOLERANCE`` less faithful; a row saying so where there is none."""
    points = []
    for tau, values in cont.sweep.items():
        if values.get("edges_kept") and values.get("faithfulness"):
            edges, faith = mean_std(values["edges_kept"])[0], mean_std(values["faithfulness"])[0]
            points.append((edges, faith, tau))
    found: list[Comparison | str] = []
    for tau in sorted(base.sweep):
        values = base.sweep[tau]
        if not values.get("edges_kept") or not values.get("faithfulness"):
            continue
        edges_b, faith_b = (mean_std(values[m])[0] for m in ("edges_kept", "faithfulness"))
        limit = faith_b + FAITHFULNESS_TOLERANCE * abs(faith_b)
        good = sorted(p for p in points if p[1] <= limit)
        if not good:
            found.append(
                f"| matched tau={tau:g} | {fmt(edges_b)} | n/a | n/a | {fmt(faith_b)} | n/a | "
                "n/a | does not hold |"
            )
            continue
        edges, faith, cont_tau = good[0]
        found.append(
            Comparison(f"matched tau={tau:g} vs tau={cont_tau:g}", edges_b, edges, faith_b, faith)
        )
    return found


def find_regime(groups: Sequence[Group], regime: str) -> Group | None:
    """The one group of training regime ``regime``, if exactly one has it."""
    matches = [g for g in groups if g.regime == regime]
    return matches[0] if len(matches) == 1 else None


def verdict(groups: Sequence[Group], baseline: str, contender: str) -> list[str]:
    """The study's criterion as Markdown: a verdict sentence and the comparison table (empty
    when either regime is missing or has no circuits to compare)."""
    base, cont = find_regime(groups, baseline), find_regime(groups, contender)
    if base is None or cont is None:
        return []
    configured = compare(base.values, cont.values, "configured tau")
    per_tau = [compare(base.sweep[t], cont.sweep[t], f"tau={t:g}") for t in sorted(base.sweep)]
    matched_rows = matched(base, cont)
    rows: list[Comparison | str] = [c for c in (configured, *per_tau) if c is not None]
    rows += matched_rows
    if not rows:
        return []
    criterion = (
        f"≥ {EDGE_RATIO:g}x fewer edges than {baseline} at faithfulness at most "
        f"{100 * FAITHFULNESS_TOLERANCE:.0f} % worse"
    )
    lines = [""]
    if configured is not None:
        change = configured.faithfulness_change
        faithful = (
            "as faithful"
            if change == 0
            else f"{abs(100 * change):.0f} % {'less' if change > 0 else 'more'} faithful"
        )
        lines.append(
            f"**Verdict at the configured tau: the criterion "
            f"{'holds' if configured.holds else 'does not hold'}.** {contender} circuits keep "
            f"{configured.edge_ratio:.2f}x fewer edges than {baseline}'s and are {faithful} "
            f"(criterion: {criterion})."
        )
    if matched_rows:
        held = sum(isinstance(r, Comparison) and r.holds for r in matched_rows)
        lines.append(
            f"Matched over the tau sweep: holds at {held} of {len(matched_rows)} swept "
            f"{baseline} thresholds."
        )
    lines += [
        "",
        f"Criterion: {contender} circuits keep {criterion} (faithfulness is a distance to the "
        "full model, lower = closer; change = (contender - baseline) / |baseline|, negative = "
        f"more faithful; means over seeds). Rows 'matched' pair each swept tau of {baseline} with "
        f"the sparsest swept {contender} circuit at most "
        f"{100 * FAITHFULNESS_TOLERANCE:.0f} % less faithful.",
        "",
        f"| where | edges {baseline} | edges {contender} | ratio | faithfulness {baseline} | "
        f"faithfulness {contender} | faithfulness change | criterion |",
        "|---|---|---|---|---|---|---|---|",
        *(r.row() if isinstance(r, Comparison) else r for r in rows),
    ]
    return lines


def write_sweep_tables(out: Path, groups: Sequence[Group], footer: str) -> dict[str, Path]:
    """``circuit_study_sweep.md``/``.csv``/``.png``; nothing without sweeps."""
    points = [(g, tau, g.sweep[tau]) for g in groups for tau in sorted(g.sweep)]
    if not points:
        return {}
    names = [m for m in SWEEP_METRICS if any(m in values for _, _, values in points)]
    md_rows, csv_rows = [], []
    for group, tau, values in points:
        n = max(len(values.get(m, [])) for m in names)
        md_rows.append(
            {"group": group.label, "tau": f"{tau:g}", "n": n}
            | {m: _cell(values.get(m, [])) for m in names}
        )
        row: dict[str, object] = {"group": group.label, "tau": tau, "n": n}
        for m in names:
            row[f"{m}_mean"], row[f"{m}_std"] = mean_std(values.get(m, []))
        csv_rows.append(row)
    written = {
        "sweep_md": out / "circuit_study_sweep.md",
        "sweep_csv": out / "circuit_study_sweep.csv",
        "sweep_png": out / "circuit_study_sweep.png",
    }
    write_text_atomic(
        written["sweep_md"], markdown_table(md_rows, ["group", "tau", "n", *names]) + "\n"
    )
    write_csv(written["sweep_csv"], csv_rows)
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
    add_footer(fig, footer)
    write_bytes_atomic(written["sweep_png"], render_png(fig))
    plt.close(fig)
    return written


def summarize_circuit_study(
    sweep_dir: Path,
    out_dir: Path | None = None,
    *,
    seed_keys: Sequence[str] = ("seed",),
    metrics: Sequence[str] | None = None,
    baseline: str = "vanilla",
    contender: str = "bimt",
) -> dict[str, Path]:
    """Write the tables and plots; returns their paths by kind.

    Raises:
        ValueError: the folder holds no job, or a metric asked for is in no job.
    """
    groups = group_jobs(find_jobs(sweep_dir), seed_keys)
    shown = table_metrics(groups, metrics)
    out = out_dir or sweep_dir
    out.mkdir(parents=True, exist_ok=True)
    written = {"md": out / "circuit_study.md", "csv": out / "circuit_study.csv"}
    table = markdown_table(group_rows(groups, shown), ["group", "n", "failed", *shown])
    lines = [table, *verdict(groups, baseline, contender)]
    write_text_atomic(written["md"], "\n".join(lines) + "\n")
    write_csv(written["csv"], group_csv_rows(groups, present_metrics(groups)))
    bars = varying_metrics(groups, shown)
    n_jobs = sum(g.succeeded + g.failed for g in groups)
    footer = f"{sweep_dir.parent.name}/{sweep_dir.name} · circuit study · {n_jobs} jobs"
    if bars:
        written["png"] = out / "circuit_study.png"
        write_bars(written["png"], groups, bars, footer)
    written |= write_sweep_tables(out, groups, footer)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="subnetlab-summarize-circuit-study",
        description="Tables (mean ± std over seeds), plots and the BIMT-vs-baseline verdict of a "
        "circuit-study sweep folder.",
    )
    parser.add_argument("sweep", type=Path, help="sweep root (Hydra multirun folder)")
    parser.add_argument(
        "--seed-key",
        action="append",
        default=None,
        help="override(s) that only change the seed (default: seed)",
    )
    parser.add_argument(
        "--metrics", default=None, help="comma-separated table metrics (default: the headline)"
    )
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: sweep)")
    parser.add_argument("--baseline", default="vanilla", help="regime compared against")
    parser.add_argument("--contender", default="bimt", help="regime expected to be sparser")
    args = parser.parse_args(argv)
    try:
        written = summarize_circuit_study(
            args.sweep,
            args.out,
            seed_keys=args.seed_key or ["seed"],
            metrics=args.metrics.split(",") if args.metrics else None,
            baseline=args.baseline,
            contender=args.contender,
        )
    except ValueError as err:
        parser.error(str(err))
    print(written["md"].read_text(), end="")
    if "sweep_md" in written:
        print()
        print(written["sweep_md"].read_text(), end="")
    for kind, path in written.items():
        print(f"{kind}: {path}")
    return 0
