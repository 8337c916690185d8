"""Signals end a run with a recorded status: a checkpoint at the step reached, ``status:
interrupted`` naming the signal, exit 128 + signal, one line; a re-run continues from there."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from subnetlab.lifecycle.runner import run
from tests.conftest import REPO, compose_raw

#: long enough to be stopped mid-training (≈ 2 ms a step: the signal, sent once the first
#: checkpoint exists, must arrive before the end even on a loaded machine); the target trains
#: briefly first
STEPS = 2000
LONG_TMS = [
    "model.recipe.steps=300",
    "model.recipe.n_candidates=2",
    "dataset.batch_size=256",
    "dataset.eval_size=512",
    f"method.steps={STEPS}",
    "method.eval_every=1000",
    "trainer.progress_bar=false",
    "callbacks.checkpoint_every_n_steps=50",
    "logger=none",
]


def _start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.Popen(
        [sys.executable, str(REPO / "run.py"), *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(
    path_glob: str, root: Path, proc: subprocess.Popen[str], timeout: float = 120
) -> None:
    deadline = time.monotonic() + timeout
    while not list(root.glob(path_glob)):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"no {path_glob} under {root}"
        time.sleep(0.05)


def _final(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k != "wall_time_s"}


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_checkpoints_records_and_a_resume_finishes_the_run(
    tmp_path: Path, signum: int, code: int
) -> None:
    args = [*LONG_TMS, f"paths.output_dir={tmp_path}"]
    proc = _start(args, tmp_path)
    _wait_for("runs/*/checkpoints/last.ckpt", tmp_path, proc)
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stdout[-2000:] + stderr[-2000:]
    assert "Traceback" not in stdout + stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    record = json.loads((run_dir / "metrics.json").read_text())
    assert record["status"] == "interrupted"
    assert record["error"].startswith(f"{signal.Signals(signum).name} received at step ")
    step = int(record["error"].split("at step ")[1].split(";")[0])
    assert 50 <= step < STEPS  # stopped after the first checkpoint, before the end
    assert f"interrupted: {signal.Signals(signum).name}" in stdout

    resumed = _start([*args, "resume=true"], tmp_path)
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, out[-2000:] + err[-2000:]
    assert [p.name for p in (tmp_path / "runs").iterdir()] == [run_dir.name]
    finished = json.loads((run_dir / "metrics.json").read_text())
    uninterrupted = run(compose_raw(LONG_TMS, tmp_path), tmp_path / "uninterrupted")
    assert finished["status"] == "ok"
    assert _final(finished) == _final(uninterrupted.metrics)


def test_a_signal_stops_a_sweep_and_a_rerun_finishes_it(tmp_path: Path) -> None:
    args = ["-m", "seed=8,9", *LONG_TMS, f"paths.output_dir={tmp_path}"]
    proc = _start(args, tmp_path)
    _wait_for("multiruns/*/seed=8/checkpoints/last.ckpt", tmp_path, proc)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, stdout[-2000:] + stderr[-2000:]
    (sweep,) = (tmp_path / "multiruns").iterdir()
    assert json.loads((sweep / "seed=8" / "metrics.json").read_text())["status"] == "interrupted"
    assert not (sweep / "seed=9").exists()  # the sweep stopped

    rerun = _start(args, tmp_path)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, out[-2000:] + err[-2000:]
    for seed in (8, 9):
        assert json.loads((sweep / f"seed={seed}" / "metrics.json").read_text())["status"] == "ok"
    log = (sweep / "seed=8" / "run.log").read_text()
    assert "resuming from" in log  # seed 8 continued from its checkpoint, not from step 0


def test_a_signal_to_a_parallel_sweep_leaves_no_worker_alive(tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil")  # the `parallel` extra, installed by `make test`
    args = ["-m", "hydra/launcher=parallel", "seed=0,1", *LONG_TMS, f"paths.output_dir={tmp_path}"]
    proc = _start(args, tmp_path)
    _wait_for("multiruns/*/seed=*/checkpoints/last.ckpt", tmp_path, proc)
    workers = psutil.Process(proc.pid).children(recursive=True)
    assert workers
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 143, stdout[-2000:] + stderr[-2000:]
    assert "SIGTERM stopped the sweep" in stderr
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, [p.cmdline() for p in alive]
    (sweep,) = (tmp_path / "multiruns").iterdir()
    statuses = [json.loads(p.read_text())["status"] for p in sweep.glob("seed=*/metrics.json")]
    assert statuses and set(statuses) <= {"interrupted", "ok"}

    rerun = _start(args, tmp_path)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, out[-2000:] + err[-2000:]
    for seed in (0, 1):
        assert json.loads((sweep / f"seed={seed}" / "metrics.json").read_text())["status"] == "ok"
