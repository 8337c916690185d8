"""SPD's success rate over seeds on the paper's toys, as one command: a seed sweep per setting
(parallel local jobs), then one table of how many seeds recover the known solution and how the
others failed (from each TMS run's feature diagnosis: missing, split, merged, shrunk features).

    python scripts/seed_study.py                          # every setting (see SETTINGS)
    python scripts/seed_study.py --only default,spd_tms_5_2 --out outputs/my_seeds
    python scripts/seed_study.py --summarize-only         # the table of what has finished

The sweep folders are fixed (``<out>/<setting>``), so re-running the command after an
interruption only runs the jobs that have not finished.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from subnetlab.analysis.feature_trajectory import FAILURE_KINDS
from subnetlab.utils.atomic_files import write_text_atomic

from .criteria import SuccessCriterion
from .jobs import Job, find_jobs
from .robustness_study import sweep_command
from .spd_criterion import KNOWN_SOLUTION, TMS_RECOVERY
from .sweeps_in_turn import chosen_names, print_written, run_in_turn, study_parser
from .tables import markdown_table, write_csv

SEED_PRESET = "spd_seeds"  # conf/sweep/spd_seeds.yaml: seeds 0-19


@dataclass(frozen=True)
class SeedSetting:
    """One row of the study: ``experiment`` (None: the default run) with ``overrides``, run on
    seeds 0 … ``seeds`` − 1 and scored by ``criterion``; ``budget`` says how it departs from
    the paper's settings."""

    name: str
    experiment: str | None
    overrides: tuple[str, ...]
    seeds: int
    criterion: SuccessCriterion
    budget: str


SETTINGS = (
    SeedSetting(
        "default",
        None,
        (),
        20,
        TMS_RECOVERY,
        "python run.py (TMS 5-2, C 20, batch 1024, 11k steps, constant lr 1e-3)",
    ),
    SeedSetting(
        "spd_tms_5_2",
        "spd_tms_5_2",
        ("method.steps=10000",),
        20,
        TMS_RECOVERY,
        "paper settings (batch 4096, quarter-cosine lr) at 10k steps instead of 40k",
    ),
    SeedSetting(
        "spd_tms_5_2_id",
        "spd_tms_5_2_id",
        ("method.steps=10000",),
        10,
        TMS_RECOVERY,
        "paper settings (batch 4096, quarter-cosine lr) at 10k steps instead of 40k",
    ),
    SeedSetting(
        "spd_tms_40_10",
        "spd_tms_40_10",
        ("method.steps=10000", "dataset.batch_size=1024"),
        10,
        TMS_RECOVERY,
        "paper settings at 10k steps instead of 40k and batch 1024 instead of 4096",
    ),
    SeedSetting(
        "spd_resid_mlp1",
        "spd_resid_mlp1",
        (),
        10,
        KNOWN_SOLUTION,
        "paper settings (30k steps, batch 2048, constant lr 2e-3): over 1 h per seed on a CPU",
    ),
)


def setting_command(setting: SeedSetting, sweep_dir: Path, n_jobs: int) -> list[str]:
    seeds = ",".join(str(s) for s in range(setting.seeds))
    command = sweep_command(setting.experiment, SEED_PRESET, sweep_dir, seeds, n_jobs)
    return [*command, *setting.overrides]


def failure_note(job: Job) -> str:
    """``seed=3: merged 2, shrunk 1`` from a TMS run's diagnosis, else its error / status."""
    seed = job.overrides.get("seed", job.path)
    if job.status != "ok":
        return f"seed {seed}: {job.status}"
    kinds = [
        f"{kind} {int(job.metrics[f'diagnosis/{kind}_features'])}"
        for kind in FAILURE_KINDS
        if job.metrics.get(f"diagnosis/{kind}_features", 0) > 0
    ]
    if not kinds:
        error = job.metrics.get("target_solution_error")
        kinds = [f"target-solution error {error:g}" if error else "criterion not met"]
    return f"seed {seed}: {', '.join(kinds)}"


def setting_row(setting: SeedSetting, jobs: list[Job]) -> dict[str, Any]:
    passed = [j for j in jobs if setting.criterion.passes(j.metrics)]
    finished = [j for j in jobs if j.status != "missing"]
    walls = [float(j.metrics["wall_time_s"]) for j in finished if "wall_time_s" in j.metrics]
    return {
        "setting": setting.name,
        "seeds run": f"{len(finished)} of {setting.seeds}",
        "passed": len(passed),
        "success rate": f"{len(passed) / len(finished):.0%}" if finished else "n/a",
        "failures": "; ".join(failure_note(j) for j in finished if j not in passed) or "none",
        "mean wall s": sum(walls) / len(walls) if walls else float("nan"),
        "criterion": setting.criterion.describe(),
        "budget": setting.budget,
    }


def write_table(out: Path, settings: list[SeedSetting]) -> dict[str, Path]:
    """``seed_success.md`` and ``.csv`` in ``out`` for the settings with a sweep folder."""
    rows = []
    for setting in settings:
        try:
            jobs = find_jobs(out / setting.name)
        except ValueError:  # not run yet
            continue
        rows.append(setting_row(setting, jobs))
    columns = ["setting", "seeds run", "passed", "success rate", "failures", "mean wall s"]
    details = [f"- **{r['setting']}**: {r['budget']}; success: {r['criterion']}" for r in rows]
    table = markdown_table(rows, columns) if rows else f"No setting has a sweep in {out} yet."
    text = "\n".join(["# SPD success over seeds", "", table, "", *details, ""])
    written = {"md": out / "seed_success.md", "csv": out / "seed_success.csv"}
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(written["md"], text)
    write_csv(written["csv"], rows)
    return written


def main(argv: list[str] | None = None) -> None:
    names = [s.name for s in SETTINGS]
    parser = study_parser(
        "subnetlab-seed-study",
        "SPD's success rate over seeds on the paper's toys (sweeps + table).",
        "outputs/multiruns/spd_seeds",
        names,
    )
    args = parser.parse_args(argv)
    args.out = args.out.resolve()  # the sweeps run from the repository's folder
    chosen = chosen_names(parser, args.only, names)
    settings = [s for s in SETTINGS if s.name in chosen]
    if not args.summarize_only:
        sweeps = [(s.name, setting_command(s, args.out / s.name, args.n_jobs)) for s in settings]
        run_in_turn(sweeps, args.out)
    print_written(write_table(args.out, settings))


if __name__ == "__main__":
    main()
