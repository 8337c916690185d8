"""Every fault ends in a recorded status and one console line: NaN losses, bad data and target
files, rejected resume checkpoints, non-finite training state and unwritable folders."""

import json
import os
from pathlib import Path

import lightning as L
import numpy as np
import pytest
import torch

from subnetlab.data.mnist_idx import write_idx
from subnetlab.lifecycle.runner import ResumeError, run
from subnetlab.utils.checkpoint_files import non_finite_entries
from tests.conftest import QUICK_TMS, compose_raw, run_cli


def _console_lines(proc) -> list[str]:
    return (proc.stdout + proc.stderr).splitlines()


def _no_traceback(proc) -> None:
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_a_nan_loss_prints_one_line_and_keeps_the_traceback_out(tmp_path: Path) -> None:
    proc = run_cli([*QUICK_TMS, "method.lr=1e30", f"paths.output_dir={tmp_path}"], tmp_path)
    assert proc.returncode == 1
    _no_traceback(proc)
    failures = [line for line in _console_lines(proc) if "NonFiniteLossError" in line]
    assert len(failures) == 1 and failures[0].startswith("run failed: NonFiniteLossError: SPD")
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert json.loads((run_dir / "metrics.json").read_text())["status"] == "failed"
    assert "run failed: NonFiniteLossError" in (run_dir / "run.log").read_text()


def test_a_truncated_mnist_file_is_a_user_error(tmp_path: Path) -> None:
    data = tmp_path / "mnist"
    data.mkdir()
    images = data / "train-images-idx3-ubyte.gz"
    write_idx(images, np.zeros((20, 28, 28), dtype=np.uint8))
    write_idx(data / "train-labels-idx1-ubyte.gz", np.zeros(20, dtype=np.uint8))
    whole = images.read_bytes()
    images.write_bytes(whole[: len(whole) // 2])
    proc = run_cli(
        [
            "experiment=bimt_mnist",
            f"dataset.data_dir={data}",
            "dataset.download=false",
            f"paths.output_dir={tmp_path}",
        ],
        tmp_path,
    )
    assert proc.returncode == 2
    _no_traceback(proc)
    errors = [line for line in _console_lines(proc) if line.startswith("error:")]
    assert errors == [
        f"error: {images} cannot be read as a gzipped IDX file (the compressed data ends early)"
    ]


def test_a_text_file_as_target_says_what_it_is_and_what_is_expected(tmp_path: Path) -> None:
    notes = tmp_path / "[red]notes.txt"  # rich markup in a path prints as it is
    notes.write_text("hello world\n")
    proc = run_cli([f"target.ckpt='{notes}'", f"paths.output_dir={tmp_path}"], tmp_path)
    assert proc.returncode == 2
    _no_traceback(proc)
    (line,) = [line for line in _console_lines(proc) if line.startswith("error:")]
    assert line.startswith(f"error: target.ckpt: {notes} is not a file written by torch.save")
    assert "it holds text starting 'hello world'" in line and "KeyError" not in line
    assert line.endswith("or a plain state dict saved with torch.save(model.state_dict(), path)")


class _Custom:
    """A class a weights-only load refuses."""


@pytest.mark.parametrize("content", ["text", "foreign"])
def test_a_rejected_resume_checkpoint_never_advises_an_unsafe_load(
    tmp_path: Path, content: str
) -> None:
    raw = compose_raw([*QUICK_TMS, "logger=none"], tmp_path)
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    last.parent.mkdir(parents=True)
    if content == "text":
        last.write_text("not a checkpoint")
    else:
        torch.save({"state_dict": {}, "global_step": 3, "callback": _Custom()}, last)
    with pytest.raises(ResumeError, match="resume=true cannot continue") as info:
        run({**raw, "resume": True}, tmp_path / "run")
    recorded = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert recorded["status"] == "failed" and recorded["error"] == str(info.value)
    for text in (recorded["error"], str(info.value)):
        assert "weights_only" not in text and "trust" not in text


class _PoisonAdamAt(L.Callback):
    """Divergence that leaves the weights finite: Adam's second moments become inf."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_end(self, trainer: L.Trainer, *args: object) -> None:
        if trainer.global_step == self.step:
            for state in trainer.optimizers[0].state.values():
                state["exp_avg_sq"].fill_(float("inf"))


def test_a_non_finite_optimizer_state_is_never_the_last_checkpoint(tmp_path: Path) -> None:
    raw = compose_raw([*QUICK_TMS, "logger=none"], tmp_path)
    result = run(raw, tmp_path / "run", extra_callbacks=[_PoisonAdamAt(15)])
    assert result.status == "failed" and "NonFiniteCheckpointError" in (result.error or "")
    assert "by step 20" in (result.error or "")
    kept = torch.load(tmp_path / "run/checkpoints/last.ckpt", weights_only=True)
    assert kept["global_step"] == 10
    assert not non_finite_entries(kept["state_dict"])
    assert not non_finite_entries(kept["optimizer_states"])
    resumed = run({**raw, "resume": True}, tmp_path / "run")  # the kept state can continue
    assert resumed.status == "ok", resumed.error


def _blocked(tmp_path: Path) -> Path:
    """A path that no one (root included) can create a folder under: its parent is a file."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    return blocker / "outputs"


@pytest.mark.parametrize("key", ["paths.output_dir", "hydra.run.dir"])
def test_an_unwritable_output_folder_is_one_line_naming_it(tmp_path: Path, key: str) -> None:
    outputs = _blocked(tmp_path)
    proc = run_cli([f"{key}={outputs}"], tmp_path, timeout=120)
    assert proc.returncode == 2
    _no_traceback(proc)
    (line,) = [line for line in _console_lines(proc) if line.strip()]
    assert line.startswith("error: cannot") and str(tmp_path / "a-file") in line and key in line


def test_an_unwritable_multirun_folder_is_one_line_naming_it(tmp_path: Path) -> None:
    outputs = _blocked(tmp_path)
    proc = run_cli(["-m", "seed=0,1", f"paths.output_dir={outputs}"], tmp_path, timeout=120)
    assert proc.returncode == 2
    _no_traceback(proc)
    (line,) = [line for line in _console_lines(proc) if line.strip()]
    assert line.startswith("error: cannot") and str(tmp_path / "a-file") in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only (chmod 555) folders")
def test_a_read_only_outputs_folder_is_one_line_naming_it(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    outputs.mkdir(mode=0o555)
    try:
        proc = run_cli([f"paths.output_dir={outputs}"], tmp_path, timeout=120)
    finally:
        outputs.chmod(0o755)
    assert proc.returncode == 2
    _no_traceback(proc)
    (line,) = [line for line in _console_lines(proc) if line.strip()]
    assert line.startswith("error: cannot write to the folder") and "Permission denied" in line
