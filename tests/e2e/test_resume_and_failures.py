"""Resume equals an uninterrupted run; a NaN loss fails the run and keeps the earlier checkpoint."""

import json
from pathlib import Path

import lightning as L
import pytest
import torch

from subnetlab.lifecycle.loggers import tensorboard_run_dir
from subnetlab.lifecycle.runner import ResumeError, run
from tests.conftest import QUICK_TMS, compose_raw


class CrashAtStep(L.Callback):
    """Simulates a killed process: raises once ``global_step`` reaches ``step``."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_start(
        self, trainer: L.Trainer, pl_module: L.LightningModule, batch, batch_idx
    ) -> None:
        if trainer.global_step >= self.step:
            raise RuntimeError("simulated kill")


class PoisonAtStep(L.Callback):
    """Puts a NaN into a trainable parameter at ``step``."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_start(
        self, trainer: L.Trainer, pl_module: L.LightningModule, batch, batch_idx
    ) -> None:
        if trainer.global_step == self.step:
            with torch.no_grad():
                next(p for p in pl_module.parameters() if p.requires_grad).fill_(float("nan"))


def _final(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k not in ("wall_time_s",)}


def test_resume_ends_with_the_same_metrics_as_an_uninterrupted_run(tmp_path: Path) -> None:
    raw = compose_raw(QUICK_TMS, tmp_path)
    uninterrupted = run(raw, tmp_path / "a")
    assert uninterrupted.status == "ok"

    killed = run(raw, tmp_path / "b", extra_callbacks=[CrashAtStep(25)])
    assert killed.status == "failed"
    assert torch.load(tmp_path / "b/checkpoints/last.ckpt", weights_only=False)["global_step"] == 20

    resumed = run({**raw, "resume": True}, tmp_path / "b")
    assert resumed.status == "ok"
    assert _final(resumed.metrics) == _final(uninterrupted.metrics)


def test_resume_without_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    raw = compose_raw(QUICK_TMS, tmp_path)
    with pytest.raises(ResumeError, match="does not exist"):
        run({**raw, "resume": True}, tmp_path / "fresh")


def test_nan_loss_fails_the_run_and_keeps_the_earlier_checkpoint(tmp_path: Path) -> None:
    raw = compose_raw(QUICK_TMS, tmp_path)
    result = run(raw, tmp_path / "nan", extra_callbacks=[PoisonAtStep(15)])
    assert result.status == "failed"
    assert "NonFiniteLossError" in (result.error or "") and "step 15" in (result.error or "")
    recorded = json.loads((tmp_path / "nan/metrics.json").read_text())
    assert recorded["status"] == "failed" and "loss became nan" in recorded["error"]
    ckpt = torch.load(tmp_path / "nan/checkpoints/last.ckpt", weights_only=False)
    assert ckpt["global_step"] == 10
    assert all(torch.isfinite(v).all() for v in ckpt["state_dict"].values())
    assert result.objective == float("inf")


def test_a_sweep_job_with_resume_but_no_checkpoint_starts_fresh(tmp_path: Path) -> None:
    # `-m ... resume=true`: jobs that never started have nothing to continue and simply run
    raw = compose_raw(QUICK_TMS, tmp_path)
    result = run({**raw, "resume": True}, tmp_path / "job", skip_if_done=True)
    assert result.status == "ok", result.error


def test_tensorboard_holds_each_step_once_after_a_resume(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.compat.proto.event_pb2 import SessionLog

    raw = compose_raw([*QUICK_TMS, "logger=tensorboard", "trainer.log_every_n_steps=1"], tmp_path)
    killed = run(raw, tmp_path / "b", extra_callbacks=[CrashAtStep(25)])
    assert killed.status == "failed"  # logged steps 1..25, checkpoint at 20
    resumed = run({**raw, "resume": True}, tmp_path / "b")
    assert resumed.status == "ok"
    # the resumed writers record a purge from the checkpoint's step on: TensorBoard hides what
    # the stopped run logged after its checkpoint
    purges = [
        event.step
        for path in sorted(tensorboard_run_dir(tmp_path / "b").glob("events.out.tfevents.*"))
        for event in EventFileLoader(str(path)).Load()
        if event.HasField("session_log") and event.session_log.status == SessionLog.START
    ]
    assert 20 in purges
    events = EventAccumulator(
        str(tensorboard_run_dir(tmp_path / "b")), size_guidance={"scalars": 0}
    )
    events.Reload()
    steps = [event.step for event in events.Scalars("train/loss/total")]
    assert steps == sorted(set(steps)) and steps[-1] >= 29  # no step twice, through the end
