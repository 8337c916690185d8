"""Wall time of the same small SPD sweep under the basic launcher and under joblib.

    python benchmarks/sweep_parallel.py               # 4 jobs of 2500 SPD steps on TMS 5-2
    python benchmarks/sweep_parallel.py --jobs 6 --steps 1000 --n-jobs 2

The target is trained once beforehand and shared by both sweeps, so both time the same work: the
sweep's jobs, their process start-up and the launcher. Each job uses one torch thread
(trainer.threads=1), so joblib with n jobs can use n cores.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from subnetlab.utils.arguments import integer_at_least, parallel_jobs

REPO = Path(__file__).resolve().parents[1]


def _run(args: list[str], output_dir: Path, targets_dir: Path) -> float:
    command = [
        sys.executable,
        str(REPO / "run.py"),
        *args,
        f"paths.output_dir={output_dir}",
        f"paths.targets_dir={targets_dir}",
        "trainer.progress_bar=false",
        "trainer.threads=1",
    ]
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"command failed: {' '.join(command)}\n{proc.stdout[-2000:]}{proc.stderr}")
    return elapsed


def _statuses(output_dir: Path) -> list[str]:
    return [json.loads(p.read_text())["status"] for p in output_dir.rglob("metrics.json")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--jobs", type=integer_at_least(1), default=4, help="jobs in the sweep (seeds)"
    )
    parser.add_argument("--steps", type=integer_at_least(1), default=2500, help="SPD steps per job")
    parser.add_argument("--n-jobs", type=parallel_jobs, default=2, help="joblib worker processes")
    opts = parser.parse_args()

    seeds = ",".join(str(s) for s in range(opts.jobs))
    job = [f"method.steps={opts.steps}", f"method.eval_every={opts.steps}", f"seed={seeds}"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        targets = root / "targets"
        warm = _run(["method.steps=1", "method.eval_every=1"], root / "warmup", targets)
        print(f"target trained and cached once: {warm:.1f} s")
        rows = []
        for name, launcher in (
            ("basic", []),
            (
                f"joblib n_jobs={opts.n_jobs}",
                ["hydra/launcher=parallel", f"hydra.launcher.n_jobs={opts.n_jobs}"],
            ),
        ):
            out = root / name.split()[0]
            wall = _run(["-m", *launcher, *job], out, targets)
            statuses = _statuses(out)
            if statuses.count("ok") != opts.jobs:
                raise SystemExit(f"{name}: expected {opts.jobs} ok jobs, got {statuses}")
            rows.append((name, wall))
    basic = rows[0][1]
    print(
        f"sweep: {opts.jobs} jobs × {opts.steps} SPD steps (TMS 5-2, batch 4096, C 20), "
        f"1 torch thread per job"
    )
    print(f"{'launcher':<16} {'wall s':>8} {'speed-up':>9}")
    for name, wall in rows:
        print(f"{name:<16} {wall:8.1f} {basic / wall:8.2f}×")


if __name__ == "__main__":
    main()
