"""Every method scored against planted ground truth, in one table (``make truth``).

Each setting is a seed sweep of one experiment whose true structure is known: SPD and APD on TMS
5-2 (the known solution: target-solution error, MMCS), circuit discovery on planted circuits (edge
and hidden-node ROC AUC, hidden-node TPR/FPR at the default tau), BIMT on the symbolic
independence task (two independent outputs: hidden neurons shared between their circuits), GW on
planted layer families (adjusted Rand index of the automatic groups) and on seed identification
(how often a layer's nearest layer in another seed is its counterpart).

    python scripts/ground_truth_study.py                    # the full form (docs/results.md)
    python scripts/ground_truth_study.py --reduced          # one seed, short budgets (CI)
    python scripts/ground_truth_study.py --only circuit_acdc,gw_planted_3 --out DIR

Sweep folders are fixed (``<out>/<setting>``): re-running after an interruption only runs the
jobs that have not finished.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from subnetlab.utils.atomic_files import write_text_atomic

from .jobs import Job, find_jobs
from .robustness_study import REPO
from .sweeps_in_turn import chosen_names, print_written, run_in_turn, study_parser
from .tables import markdown_table, write_csv


@dataclass(frozen=True)
class Bar:
    """What a seed must reach on ``metric``: at least ``low`` and at most ``high``."""

    metric: str
    low: float | None = None
    high: float | None = None

    def passes(self, metrics: dict[str, Any]) -> bool:
        value = metrics.get(self.metric)
        if not isinstance(value, int | float) or math.isnan(value):
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def describe(self) -> str:
        if self.low is not None and self.low == self.high:
            return f"{self.metric} = {self.low:g}"
        parts = [f"{self.metric} ≥ {self.low:g}"] if self.low is not None else []
        parts += [f"{self.metric} ≤ {self.high:g}"] if self.high is not None else []
        return " and ".join(parts)


@dataclass(frozen=True)
class TruthSetting:
    """One row: ``experiment`` (None: the default run) with ``overrides`` on seeds 0 … seeds − 1;
    ``reported`` metrics are averaged over the seeds, a seed passes when it meets every bar;
    ``reduced`` replaces the overrides' budget in the reduced (CI) form."""

    name: str
    method: str
    truth: str
    experiment: str | None
    overrides: tuple[str, ...]
    seeds: int
    reported: tuple[str, ...]
    bars: tuple[Bar, ...]
    reduced: tuple[str, ...] = ()


#: the table's column of every reported metric's mean over seeds, with the range when they differ
MEASURED = "measured (mean [min, max])"
_CIRCUIT_REPORTED = ("edge_auc", "hidden_node_auc", "hidden_node_tpr", "hidden_node_fpr")
_CIRCUIT_BARS = (
    Bar("edge_auc", low=0.95),
    Bar("hidden_node_tpr", low=1.0),
    Bar("hidden_node_fpr", high=0.0),
)
_KNOWN_SOLUTION = ("target_solution_error", "mmcs", "ml2r")
_KNOWN_SOLUTION_BARS = (Bar("target_solution_error", high=0.0), Bar("mmcs", low=0.99))

SETTINGS = (
    TruthSetting(
        name="spd_tms_5_2",
        method="spd",
        truth="TMS 5-2 known solution",
        experiment=None,
        overrides=(),
        seeds=5,
        reported=_KNOWN_SOLUTION,
        bars=_KNOWN_SOLUTION_BARS,
        reduced=("method.steps=2000",),
    ),
    TruthSetting(
        name="apd_tms_5_2",
        method="apd",
        truth="TMS 5-2 known solution",
        experiment="apd_tms_5_2",
        overrides=(),
        seeds=5,
        reported=_KNOWN_SOLUTION,
        bars=(Bar("mmcs", low=0.99),),
        reduced=("method.steps=1000",),
    ),
    TruthSetting(
        name="circuit_acdc",
        method="circuit acdc",
        truth="planted circuit, distractors",
        experiment="circuit_planted",
        overrides=(),
        seeds=5,
        reported=_CIRCUIT_REPORTED,
        bars=_CIRCUIT_BARS,
    ),
    TruthSetting(
        name="circuit_eap_ig",
        method="circuit eap_ig",
        truth="planted circuit, distractors",
        experiment="circuit_planted",
        overrides=("method.algorithm=eap_ig",),
        seeds=5,
        reported=_CIRCUIT_REPORTED,
        bars=_CIRCUIT_BARS,
    ),
    TruthSetting(
        name="circuit_magnitude",
        method="circuit magnitude (baseline)",
        truth="planted circuit, distractors",
        experiment="circuit_planted",
        overrides=(
            "method.algorithm=magnitude",
            "method.tau=0.3",
            "method.tau_sweep=[0.02,0.05,0.1,0.2,0.3,0.4,0.5,0.6,0.8,1.0]",
        ),
        seeds=5,
        reported=_CIRCUIT_REPORTED,
        bars=(),
    ),
    TruthSetting(
        name="bimt_independence",
        method="bimt",
        truth="two independent outputs",
        experiment="bimt_independence",
        overrides=(),
        seeds=3,
        reported=("shared_hidden_neurons", "edges_above_5pct"),
        bars=(Bar("shared_hidden_neurons", high=0.0),),
        reduced=("method.steps=2000",),
    ),
    TruthSetting(
        name="gw_planted_3",
        method="gw",
        truth="3 planted layer families, unequally spaced",
        experiment="gw_planted",
        overrides=("model.n_families=3",),
        seeds=5,
        reported=("ari", "n_groups"),
        bars=(Bar("ari", low=1.0),),
    ),
    TruthSetting(
        name="gw_planted_4",
        method="gw",
        truth="4 planted layer families, unequally spaced",
        experiment="gw_planted",
        overrides=("model.n_families=4",),
        seeds=5,
        reported=("ari", "n_groups"),
        bars=(Bar("ari", low=1.0),),
    ),
    TruthSetting(
        name="gw_seed_identification",
        method="gw",
        truth="the same layer in three seeds",
        experiment="gw_seed_identification",
        overrides=(),
        seeds=1,
        reported=("layer_id_accuracy/gw", "layer_id_accuracy/linear_cka"),
        bars=(),
        reduced=("model.recipe.steps=200", "method.probe_size=200"),
    ),
)


def setting_command(
    setting: TruthSetting, sweep_dir: Path, n_jobs: int, reduced: bool
) -> list[str]:
    """``run.py -m`` of ``setting`` on its seeds (seed 0 only when ``reduced``)."""
    seeds = "0" if reduced else ",".join(str(s) for s in range(setting.seeds))
    experiment = [f"experiment={setting.experiment}"] if setting.experiment else []
    return [
        sys.executable,
        str(REPO / "run.py"),
        "-m",
        *experiment,
        f"seed={seeds}",
        "hydra/launcher=parallel",
        f"hydra.launcher.n_jobs={n_jobs}",
        f"hydra.sweep.dir={sweep_dir}",
        "trainer.progress_bar=false",
        "logger=none",
        *setting.overrides,
        *(setting.reduced if reduced else ()),
    ]


def setting_row(setting: TruthSetting, jobs: list[Job]) -> dict[str, Any]:
    """The setting's line of the table: the reported metrics' mean over its finished seeds (with
    the range when they differ) and how many seeds meet every bar."""
    finished = [j for j in jobs if j.status == "ok"]
    row: dict[str, Any] = {
        "method": setting.method,
        "ground truth": setting.truth,
        "seeds": f"{len(finished)} of {len(jobs)}",
    }
    for metric in setting.reported:
        values = [float(j.metrics[metric]) for j in finished if metric in j.metrics]
        row[metric] = _mean_and_range(values)
    row[MEASURED] = "; ".join(f"{metric} {row[metric]}" for metric in setting.reported)
    if setting.bars:
        passed = sum(all(bar.passes(j.metrics) for bar in setting.bars) for j in finished)
        row["passed"] = f"{passed} of {len(jobs)}"
        row["bar"] = "; ".join(bar.describe() for bar in setting.bars)
    else:
        row["passed"], row["bar"] = "-", "reported as measured"
    walls = [float(j.metrics["wall_time_s"]) for j in finished if "wall_time_s" in j.metrics]
    row["mean wall s"] = f"{sum(walls) / len(walls):.0f}" if walls else ""
    return row


def _mean_and_range(values: list[float]) -> str:
    if not values:
        return "n/a"
    mean = sum(values) / len(values)
    low, high = min(values), max(values)
    if len(values) == 1 or low == high:
        return f"{mean:.3g}"
    return f"{mean:.3g} [{low:.3g}, {high:.3g}]"


def write_table(out: Path, settings: list[TruthSetting], reduced: bool) -> dict[str, Path]:
    """``ground_truth.md`` and ``.csv`` in ``out`` for the settings with a sweep folder."""
    rows = []
    for setting in settings:
        try:
            jobs = find_jobs(out / setting.name)
        except ValueError:  # not run yet
            continue
        rows.append({"setting": setting.name, **setting_row(setting, jobs)})
    form = "reduced form: seed 0, short budgets" if reduced else "full form"
    lines = [f"# Every method against planted ground truth ({form})", ""]
    columns = ["method", "ground truth", "seeds", MEASURED, "passed", "bar", "mean wall s"]
    lines.append(markdown_table(rows, columns) if rows else f"No setting has run in {out} yet.")
    written = {"md": out / "ground_truth.md", "csv": out / "ground_truth.csv"}
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(written["md"], "\n".join([*lines, ""]))
    write_csv(written["csv"], rows)
    return written


def main(argv: list[str] | None = None) -> None:
    names = [s.name for s in SETTINGS]
    parser = study_parser(
        "subnetlab-ground-truth-study",
        "Every method scored against planted ground truth (sweeps + one table).",
        "outputs/multiruns/ground_truth",
        names,
    )
    parser.add_argument(
        "--reduced", action="store_true", help="seed 0 only and short training budgets (CI)"
    )
    args = parser.parse_args(argv)
    args.out = args.out.resolve()  # the sweeps run from the repository's folder
    chosen = chosen_names(parser, args.only, names)
    settings = [s for s in SETTINGS if s.name in chosen]
    if not args.summarize_only:
        sweeps = [
            (s.name, setting_command(s, args.out / s.name, args.n_jobs, args.reduced))
            for s in settings
        ]
        run_in_turn(sweeps, args.out)
    print_written(write_table(args.out, settings, args.reduced))


if __name__ == "__main__":
    main()
