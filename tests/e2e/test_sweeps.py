"""Multirun sweeps through the real CLI: failure policy, re-runs, launchers and the Optuna study."""

import json
import subprocess
from pathlib import Path

import yaml

from subnetlab.sweeps.jobs import find_jobs
from subnetlab.sweeps.summarize import summarize
from tests.conftest import QUICK_TMS, run_cli


def _sweep(tmp_path: Path, *overrides: str) -> subprocess.CompletedProcess[str]:
    proc = run_cli(["-m", *QUICK_TMS, *overrides, f"paths.output_dir={tmp_path}"], tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def _only_sweep_dir(tmp_path: Path) -> Path:
    (sweep_dir,) = (tmp_path / "multiruns").iterdir()
    return sweep_dir


def _metrics(job_dir: Path) -> dict:
    return json.loads((job_dir / "metrics.json").read_text())


def test_failed_job_is_recorded_the_others_finish_and_a_rerun_skips_them(tmp_path: Path) -> None:
    command = ("method.coeffs.importance_minimality=0.003,-1", "seed=0")
    first = _sweep(tmp_path, *command)
    sweep_dir = _only_sweep_dir(tmp_path)
    key = "method.coeffs.importance_minimality"
    jobs = {job.overrides[key]: job for job in find_jobs(sweep_dir)}
    assert set(jobs) == {"0.003", "-1"}
    good, bad = jobs["0.003"], jobs["-1"]
    # each job's start and end, then the summary with the counts and the folder
    assert f"job 0 ({good.path}) started" in first.stdout
    assert f"job 0 ({good.path}) ok in " in first.stdout
    assert f"job 1 ({bad.path}) failed in " in first.stdout
    assert f": 2 jobs, 1 ok, 1 failed; folder {sweep_dir}" in first.stdout
    assert f"  failed: {bad.path}: " in first.stdout
    assert good.status == "ok" and isinstance(good.metrics["mmcs"], float)
    assert bad.status == "failed" and "importance_minimality" in bad.error
    good_dir = sweep_dir / good.path
    assert (good_dir / "checkpoints" / "last.ckpt").is_file()
    assert list((good_dir / "figures").glob("*.png"))

    written = summarize(sweep_dir)
    failed_section = written["md"].read_text().split("## Failed jobs (1)")[1]
    assert bad.path in failed_section and "importance_minimality" in failed_section

    finished = (good_dir / "metrics.json").stat().st_mtime_ns
    again = _sweep(tmp_path, *reversed(command))  # same sweep, overrides in another order
    assert _only_sweep_dir(tmp_path) == sweep_dir
    assert "already finished; skipped" in again.stdout
    assert (good_dir / "metrics.json").stat().st_mtime_ns == finished
    assert _metrics(sweep_dir / bad.path)["status"] == "failed"


def test_joblib_launcher_runs_every_job(tmp_path: Path) -> None:
    proc = _sweep(tmp_path, "hydra/launcher=parallel", "hydra.launcher.n_jobs=2", "seed=0,1")
    jobs = find_jobs(_only_sweep_dir(tmp_path))
    assert sorted(job.overrides["seed"] for job in jobs) == ["0", "1"]
    assert all(job.status == "ok" for job in jobs)
    # the workers' job lines reach the sweep's output
    assert "(seed=0) started" in proc.stdout and "(seed=1) ok in " in proc.stdout
    assert "2 jobs, 2 ok, 0 failed" in proc.stdout
    hydra_cfg = yaml.safe_load((_only_sweep_dir(tmp_path) / "multirun.yaml").read_text())
    assert hydra_cfg["hydra"]["launcher"]["_target_"].endswith("JoblibLauncher")


def test_submitit_local_launcher_runs_every_job(tmp_path: Path) -> None:
    _sweep(tmp_path, "hydra/launcher=local", "seed=0,1")
    sweep_dir = _only_sweep_dir(tmp_path)
    jobs = [job for job in find_jobs(sweep_dir) if not job.path.startswith(".submitit")]
    assert sorted(job.overrides["seed"] for job in jobs) == ["0", "1"]
    assert all(job.status == "ok" for job in jobs)
    assert list((sweep_dir / ".submitit").rglob("*_result.pkl"))  # submitit ran them


def test_optuna_study_runs_its_trials_and_reports_the_best(tmp_path: Path) -> None:
    _sweep(tmp_path, "sweep=spd_optuna", "hydra.sweeper.n_trials=3")
    sweep_dir = _only_sweep_dir(tmp_path)
    jobs = find_jobs(sweep_dir)
    assert len(jobs) == 3 and all(job.status == "ok" for job in jobs)
    values = [job.metrics["target_solution_error"] for job in jobs]
    sampled = {job.overrides["method.coeffs.importance_minimality"] for job in jobs}
    assert len(sampled) == 3 and all(3.0e-4 <= float(v) <= 3.0e-2 for v in sampled)
    best = yaml.safe_load((sweep_dir / "optimization_results.yaml").read_text())
    assert best["best_value"] == min(values)
