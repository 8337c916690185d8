"""The SLURM and local submitit launchers: the sbatch script our SLURM preset renders, one sweep
job end to end through submitit's local executor, and the one-line error without SLURM."""

import json
import os
import stat
from pathlib import Path

import pytest
import submitit
from hydra import compose, initialize_config_dir
from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf
from omegaconf import OmegaConf

from tests.conftest import CONF, QUICK_TMS, run_cli


def _fake_srun(folder: Path) -> None:
    """submitit's SLURM executor only looks for ``srun`` on the PATH when it is created."""
    srun = folder / "srun"
    srun.write_text("#!/bin/sh\nexit 0\n")
    srun.chmod(srun.stat().st_mode | stat.S_IEXEC)


def test_slurm_preset_renders_the_sbatch_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(
            config_name="config",
            overrides=[
                "hydra/launcher=slurm",
                "hydra.launcher.partition=gpu",
                "hydra.launcher.gpus_per_node=1",
                "hydra.launcher.timeout_min=30",
                "hydra.launcher.account=lab",
                "+hydra.launcher.additional_parameters.mail-type=END",
            ],
            return_hydra_config=True,
        )
    launcher = OmegaConf.to_container(cfg.hydra.launcher, resolve=False)
    assert isinstance(launcher, dict)
    launcher.pop("_target_")
    launcher.pop("submitit_folder")
    launcher["name"] = "subnetlab"
    _fake_srun(tmp_path)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    # the hydra-submitit launcher's mapping: max_num_timeout at creation, shared queue keys as
    # they are, the rest as slurm_*
    executor = submitit.AutoExecutor(
        cluster="slurm",
        folder=tmp_path / "submitit",
        slurm_max_num_timeout=launcher.pop("max_num_timeout"),
    )
    base = set(OmegaConf.structured(BaseQueueConf).keys())
    executor.update_parameters(
        **{key if key in base else f"slurm_{key}": value for key, value in launcher.items()}
    )
    script = executor._executor._make_submission_file_text("python run.py", "uid")
    for line in (
        "#SBATCH --partition=gpu",
        "#SBATCH --time=30",
        "#SBATCH --gpus-per-node=1",
        "#SBATCH --cpus-per-task=2",
        "#SBATCH --mem=16GB",
        "#SBATCH --account=lab",
        "#SBATCH --mail-type=END",
        "#SBATCH --job-name=subnetlab",
    ):
        assert line in script, f"{line!r} missing from\n{script}"


def test_local_submitit_launcher_runs_a_sweep_job(tmp_path: Path) -> None:
    proc = run_cli(
        ["-m", "hydra/launcher=local", "seed=5", *QUICK_TMS, f"paths.output_dir={tmp_path}"],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (sweep,) = (tmp_path / "multiruns").iterdir()
    (job,) = sweep.glob("*/metrics.json")  # one job: nothing varies, so its folder is "job"
    metrics = json.loads(job.read_text())
    assert metrics["status"] == "ok" and metrics["seed"] == 5
    assert list((sweep / ".submitit").iterdir())  # the job went through submitit's executor


def test_slurm_launcher_without_slurm_is_one_line(tmp_path: Path) -> None:
    env_path = os.environ["PATH"]
    assert not any((Path(p) / "srun").exists() for p in env_path.split(os.pathsep) if p)
    proc = run_cli(
        ["-m", "hydra/launcher=slurm", "seed=0", f"paths.output_dir={tmp_path}"], tmp_path
    )
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and "SLURM" in lines[0] and "hydra/launcher=local" in lines[0], lines
