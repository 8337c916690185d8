"""The reduced SPD-vs-APD robustness study on TMS 5-2 as one command: an SPD sweep (seeds × β3)
and an APD sweep (seeds × batch top-k) in parallel local jobs, then one summary of both, scored
twice (the paper's criterion with ML2R, and the mechanisms alone: APD's columns shrink by design),
and the success rate against the training step (``convergence_*.png``), so an unconverged budget
shows as a rising curve, not as a method that is not robust.

    python scripts/robustness_study.py                 # 3 seeds × 3 values per method
    python scripts/robustness_study.py --seeds 0,1,2,3,4 --n-jobs 4 --out outputs/my_study

The sweep folders are fixed (``<out>/spd``, ``<out>/apd``), so re-running the command after an
interruption only runs the jobs that have not finished.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
from pathlib import Path

from subnetlab.sweeps.convergence import final_rate, write_convergence
from subnetlab.sweeps.jobs import find_jobs
from subnetlab.sweeps.progress import SWEEP_LOGGER, summary_lines
from subnetlab.sweeps.spd_criterion import MECHANISMS_RECOVERED, TMS_RECOVERY
from subnetlab.sweeps.summarize import summarize
from subnetlab.utils.arguments import parallel_jobs, seed_list

REPO = Path(__file__).resolve().parents[3]
#: the coefficient each method's sweep varies (β3 for SPD, batch top-k for APD)
SWEPT = ("method.coeffs.importance_minimality", "method.topk")
STUDY = (  # (folder, experiment, sweep preset)
    ("spd", "spd_tms_5_2", "spd_robustness_quick"),
    ("apd", "apd_tms_5_2", "apd_robustness_quick"),
)


def sweep_command(
    experiment: str | None, preset: str, sweep_dir: Path, seeds: str, n_jobs: int
) -> list[str]:
    """``run.py -m`` of ``experiment`` (None: the default run) with the sweep ``preset``."""
    return [
        sys.executable,
        str(REPO / "run.py"),
        "-m",
        *([f"experiment={experiment}"] if experiment is not None else []),
        f"sweep={preset}",
        f"seed={seeds}",
        "hydra/launcher=parallel",
        f"hydra.launcher.n_jobs={n_jobs}",
        f"hydra.sweep.dir={sweep_dir}",
        "trainer.progress_bar=false",
        "logger=csv",  # the evaluations the convergence curves read
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="subnetlab-robustness-study",
        description="Reduced SPD-vs-APD robustness study on TMS 5-2 (sweeps + summary).",
    )
    parser.add_argument("--out", type=Path, default=REPO / "outputs/multiruns/robustness_tms_5_2")
    parser.add_argument(
        "--seeds", type=seed_list, default="0,1,2", help="comma-separated seeds (default 0,1,2)"
    )
    parser.add_argument(
        "--n-jobs", type=parallel_jobs, default=-1, help="parallel jobs (-1: one per core)"
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    # both sweeps at once: the shorter APD jobs fill the cores the SPD sweep's last round leaves
    running = []
    for folder, experiment, preset in STUDY:
        command = sweep_command(experiment, preset, args.out / folder, args.seeds, args.n_jobs)
        print(f"{folder}: {' '.join(command[1:])}", flush=True)
        log_file = args.out / f"{folder}_sweep.log"
        print(f"{folder}: the sweep's whole output goes to {log_file}", flush=True)
        running.append(launch_sweep(folder, command, log_file, start))
    for folder, process, reader in running:
        code = process.wait()
        reader.join()
        if code != 0:  # a failed job does not do this; only a sweep that cannot run
            raise SystemExit(f"the {folder} sweep stopped with exit code {code}")
        for line in summary_lines(args.out / folder):
            print(f"{_stamp(start)} {folder}: {line}", flush=True)
    written = summarize(args.out, criterion=TMS_RECOVERY)
    written.update(
        {
            f"mechanisms {kind}": path
            for kind, path in summarize(
                args.out, args.out / "mechanisms", criterion=MECHANISMS_RECOVERED
            ).items()
        }
    )
    jobs = find_jobs(args.out)
    for name, criterion in (("tms", TMS_RECOVERY), ("mechanisms", MECHANISMS_RECOVERED)):
        path = args.out / f"convergence_{name}.png"
        curves = write_convergence(path, jobs, SWEPT, criterion, "success rate during training")
        written[f"convergence {name}"] = path
        for group, curve in sorted(curves.items()):
            print(f"{name}: {group}: {final_rate(curve):.0%} of seeds at the end")
    print(f"{_stamp(start)} study done")
    for kind, path in written.items():
        print(f"{kind}: {path}")


def _stamp(start: float) -> str:
    return f"[{time.perf_counter() - start:7.0f} s]"


def launch_sweep(
    name: str, command: list[str], log_file: Path, start: float
) -> tuple[str, subprocess.Popen[str], threading.Thread]:
    """Start one sweep; a thread copies its whole output into ``log_file`` and prints its job
    start/end lines (prefixed with ``name``) on the console."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    marker = f"[{SWEEP_LOGGER}]"

    def forward() -> None:
        assert process.stdout is not None
        with log_file.open("a") as sink:
            for line in process.stdout:
                sink.write(line)
                sink.flush()
                if marker in line:
                    job_line = line.split(" - ", 1)[-1].rstrip()
                    print(f"{_stamp(start)} {name}: {job_line}", flush=True)

    reader = threading.Thread(target=forward, name=f"{name} sweep output", daemon=True)
    reader.start()
    return name, process, reader


if __name__ == "__main__":
    main()
