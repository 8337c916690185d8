"""last.ckpt is written atomically and only with finite weights and optimizer state."""

import errno
import os
from pathlib import Path

import lightning as L
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from torch.utils.data import DataLoader, TensorDataset

from subnetlab.lifecycle.checkpoint_io import (
    NonFiniteCheckpointError,
    SafeCheckpointIO,
    check_resumable,
    non_finite_state,
)
from subnetlab.utils.checkpoint_files import CheckpointFileError, read_checkpoint


def _checkpoint(step: int, exp_avg_sq: float = 1.0, weight: float = 0.5) -> dict:
    adam = {"step": torch.tensor(step), "exp_avg_sq": torch.full((2, 2), exp_avg_sq)}
    return {
        "global_step": step,
        "state_dict": {"linear.weight": torch.full((2, 2), weight)},
        "optimizer_states": [{"state": {0: adam}}],
    }


def test_finite_state_check_names_the_entries() -> None:
    assert non_finite_state(_checkpoint(3)) is None
    assert non_finite_state(_checkpoint(3, exp_avg_sq=float("inf"))) == (
        "optimizer_states[0].state.0.exp_avg_sq"
    )
    assert non_finite_state(_checkpoint(3, weight=float("nan"))) == "state_dict.linear.weight"


def test_a_non_finite_optimizer_state_is_never_written(tmp_path: Path) -> None:
    io = SafeCheckpointIO()
    path = tmp_path / "last.ckpt"
    io.save_checkpoint(_checkpoint(10), path)
    with pytest.raises(NonFiniteCheckpointError, match=r"by step 20 \(NaN/inf in optimizer_states"):
        io.save_checkpoint(_checkpoint(20, exp_avg_sq=float("inf")), path)
    assert io.load_checkpoint(path)["global_step"] == 10
    assert [p.name for p in tmp_path.iterdir()] == ["last.ckpt"]


def test_a_checkpoint_write_failing_midway_keeps_the_previous_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    io = SafeCheckpointIO()
    path = tmp_path / "checkpoints" / "last.ckpt"
    io.save_checkpoint(_checkpoint(10), path)

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        io.save_checkpoint(_checkpoint(20), path)
    assert read_checkpoint(path)["global_step"] == 10
    assert [p.name for p in path.parent.iterdir()] == ["last.ckpt"]


class _Tiny(L.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(2, 1)

    def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
        (x,) = batch
        return self.linear(x).pow(2).mean()

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=1e-2)


class _PoisonAdamAt(L.Callback):
    """Fills Adam's second moment with inf once ``global_step`` reaches ``step`` (weights stay
    finite, as in a divergence whose squared gradients overflowed)."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_end(self, trainer: L.Trainer, *args: object) -> None:
        if trainer.global_step == self.step:
            for state in trainer.optimizers[0].state.values():
                state["exp_avg_sq"].fill_(float("inf"))


def test_training_stops_at_the_first_non_finite_checkpoint_and_keeps_the_last_good_one(
    tmp_path: Path,
) -> None:
    data = DataLoader(TensorDataset(torch.randn(64, 2)), batch_size=4)
    ckpt_dir = tmp_path / "checkpoints"
    trainer = L.Trainer(
        max_steps=12,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[
            # the poison comes before the checkpoint callback at the same step
            _PoisonAdamAt(5),
            ModelCheckpoint(dirpath=ckpt_dir, save_top_k=0, save_last=True, every_n_train_steps=2),
        ],
        plugins=[SafeCheckpointIO()],
    )
    with pytest.raises(NonFiniteCheckpointError, match="by step 6"):
        trainer.fit(_Tiny(), train_dataloaders=data)
    kept = read_checkpoint(ckpt_dir / "last.ckpt")
    assert kept["global_step"] == 4
    assert non_finite_state(kept) is None
    assert [p.name for p in ckpt_dir.iterdir()] == ["last.ckpt"]


def test_resume_checks_refuse_text_foreign_and_non_finite_files(tmp_path: Path) -> None:
    text = tmp_path / "text.ckpt"
    text.write_text("not a checkpoint")
    with pytest.raises(CheckpointFileError, match="not a file written by torch.save"):
        check_resumable(text)
    plain = tmp_path / "plain.ckpt"
    torch.save({"weights": torch.ones(2)}, plain)
    with pytest.raises(CheckpointFileError, match="not a Lightning training checkpoint"):
        check_resumable(plain)
    poisoned = tmp_path / "poisoned.ckpt"
    torch.save(_checkpoint(7, exp_avg_sq=float("nan")), poisoned)
    with pytest.raises(CheckpointFileError, match="holds NaN/inf in optimizer_states"):
        check_resumable(poisoned)
    good = tmp_path / "good.ckpt"
    torch.save(_checkpoint(7), good)
    check_resumable(good)
