"""Scale-out in one run: ``trainer=ddp`` on two CPU processes (gloo) is one run with one folder
and one ``metrics.json``; rank 0 evaluates and writes, every rank trains."""

import json
from pathlib import Path

import torch

from tests.conftest import QUICK_TMS, run_cli

DDP_CPU = ["trainer=ddp", "trainer.accelerator=cpu", "trainer.devices=2"]


def test_spd_on_two_cpu_processes_writes_one_run(tmp_path: Path) -> None:
    proc = run_cli([*QUICK_TMS, *DDP_CPU, f"paths.output_dir={tmp_path}"], tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run_dir,) = (tmp_path / "runs").iterdir()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["status"] == "ok", metrics.get("error")
    assert proc.stdout.count("final metrics (ok)") == 1  # rank 1 prints nothing of its own
    checkpoint = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)
    assert checkpoint["global_step"] == 30  # QUICK_TMS: method.steps=30, both ranks in step


def test_method_train_on_two_cpu_processes_writes_one_run(tmp_path: Path) -> None:
    args = ["method=train", "model=mlp_digits", "model.recipe.steps=30", "logger=none"]
    proc = run_cli([*args, *DDP_CPU, f"paths.output_dir={tmp_path}"], tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run_dir,) = (tmp_path / "runs").iterdir()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["status"] == "ok" and metrics["method"] == "train"
    assert (run_dir / "target.pt").is_file()
    checkpoint = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)
    assert checkpoint["global_step"] == 30
