"""BIMT through the runner's Lightning fit: step bounds, resume after a kill, NaN, the ablation."""

from __future__ import annotations

import json
from pathlib import Path

import lightning as L
import pytest
import torch
from lightning.pytorch.plugins.precision import MixedPrecision

from subnetlab.lifecycle.runner import run
from subnetlab.methods.base import RunContext
from subnetlab.methods.bimt.module import BimtModule
from subnetlab.schemas.run import validate_run_config
from tests.conftest import QUIET_RUN, compose_raw

# 60 minibatch steps of the independence net with swaps and lambda phases inside the run
SHORT = [
    "experiment=bimt_independence",
    "method.steps=60",
    "method.batch_size=16",
    "method.swap_every=10",
    "method.lambda_phases=[{start:0.0,multiplier:1.0},{start:0.5,multiplier:10.0}]",
    "trainer.log_every_n_steps=5",
    "callbacks.checkpoint_every_n_steps=20",
    "callbacks.figures_every_n_steps=0",
    *QUIET_RUN,
]
TIMINGS = ("wall_time_s", "train_time_s")


class CrashAtStep(L.Callback):
    """A killed process: raises once ``global_step`` reaches ``step``."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step >= self.step:
            raise RuntimeError("simulated kill")


def _results(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k not in TIMINGS}


def _history(run_dir: Path) -> list[dict]:
    return json.loads((run_dir / "bimt_history.json").read_text())


def test_trainer_max_steps_bounds_the_training(tmp_path):
    raw = compose_raw([*SHORT, "trainer.max_steps=7"], tmp_path)
    result = run(raw, tmp_path / "run")
    assert result.status == "ok", result.error
    ckpt = torch.load(tmp_path / "run/checkpoints/last.ckpt", weights_only=False)
    assert ckpt["global_step"] == 7
    # rows at the logging step 5 and the last step 7
    assert [row["step"] for row in _history(tmp_path / "run")] == [5.0, 7.0]


def test_debug_fast_bounds_the_training(tmp_path):
    raw = compose_raw([*SHORT, "debug=fast"], tmp_path)
    result = run(raw, tmp_path / "run")
    assert result.status == "ok", result.error
    ckpt = torch.load(tmp_path / "run/checkpoints/last.ckpt", weights_only=False)
    assert ckpt["global_step"] == 20
    assert _history(tmp_path / "run")[-1]["step"] == 20.0


def test_resume_after_a_kill_ends_like_an_uninterrupted_run(tmp_path):
    # rows every 15 steps, checkpoints every 20: the checkpoint at 40 holds swaps not yet in a row
    raw = compose_raw([*SHORT, "trainer.log_every_n_steps=15"], tmp_path)
    uninterrupted = run(raw, tmp_path / "a")
    assert uninterrupted.status == "ok", uninterrupted.error

    killed = run(raw, tmp_path / "b", extra_callbacks=[CrashAtStep(45)])
    assert killed.status == "failed" and "simulated kill" in (killed.error or "")
    ckpt = torch.load(tmp_path / "b/checkpoints/last.ckpt", weights_only=False)
    assert ckpt["global_step"] == 40
    assert [row["step"] for row in ckpt["bimt"]["history"]] == [15.0, 30.0]

    resumed = run({**raw, "resume": True}, tmp_path / "b")
    assert resumed.status == "ok", resumed.error
    assert _results(resumed.metrics) == _results(uninterrupted.metrics)
    assert _history(tmp_path / "b") == _history(tmp_path / "a")
    assert sum(row["swaps"] for row in _history(tmp_path / "a")) > 0


def test_a_non_finite_loss_fails_the_run_and_names_the_knob(tmp_path):
    # issue 16 case 13: lr=1e8 blows the weights up within a few steps
    raw = compose_raw(
        ["experiment=bimt_independence", "method.steps=100", "method.lr=1e8", *QUIET_RUN],
        tmp_path,
    )
    result = run(raw, tmp_path / "run")
    assert result.status == "failed"
    assert "NonFiniteLossError" in (result.error or "") and "method.lr" in (result.error or "")
    recorded = json.loads((tmp_path / "run/metrics.json").read_text())
    assert recorded["status"] == "failed" and "test_loss" not in recorded
    assert result.objective == float("inf")


@pytest.mark.parametrize("train_type", ["vanilla", "l1", "l1_local", "l1_swap", "bimt"])
def test_every_train_type_trains_and_records_its_schedule(tmp_path, train_type):
    raw = compose_raw(
        [*SHORT, f"method.train_type={train_type}", "trainer.log_every_n_steps=20"], tmp_path
    )
    result = run(raw, tmp_path / "run")
    assert result.status == "ok", result.error
    history = _history(tmp_path / "run")
    assert [row["step"] for row in history] == [20.0, 40.0, 60.0]
    assert result.metrics["train_loss"] < history[0]["loss"]
    lambdas = [row["lambda"] for row in history]  # lambda x10 from step 30 (half of 60)
    assert lambdas == ([0.0] * 3 if train_type == "vanilla" else pytest.approx([1e-3, 1e-2, 1e-2]))
    swaps = sum(row["swaps"] for row in history)
    assert (swaps > 0) == (train_type in ("l1_swap", "bimt"))


def test_the_penalty_shrinks_the_connection_cost(tmp_path):
    costs = {}
    for train_type in ("vanilla", "l1"):
        raw = compose_raw(
            [
                *SHORT,
                f"method.train_type={train_type}",
                "method.lambda_base=0.03",
                "method.lambda_phases=[{start:0.0,multiplier:1.0}]",
            ],
            tmp_path,
        )
        result = run(raw, tmp_path / train_type)
        assert result.status == "ok", result.error
        costs[train_type] = result.metrics["connection_cost"]
    assert costs["l1"] < 0.8 * costs["vanilla"]


def _l1_fit(precision_plugins: list, tmp_path: Path) -> float:
    """Connection cost after 60 steps of strong plain L1, fitted by a bare Trainer."""
    raw = compose_raw(
        [
            *SHORT,
            "method.train_type=l1",
            "method.lambda_base=0.03",
            "method.lambda_phases=[{start:0.0,multiplier:1.0}]",
        ],
        tmp_path,
    )
    cfg = validate_run_config(raw)
    ctx = RunContext(seed=0, run_dir=tmp_path, model_cfg=cfg.model, dataset_cfg=cfg.dataset)
    module = BimtModule(cfg.method, ctx)
    trainer = L.Trainer(
        max_steps=60,
        accelerator="cpu",
        plugins=precision_plugins,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(module)
    module.run_analysis()
    return module.final_metrics()["connection_cost"]


def test_the_penalty_keeps_its_weight_under_a_16_bit_loss_scaler(tmp_path):
    # 16-mixed scales the loss (a GradScaler) before backward; the closed-form penalty gradient
    # must join the gradients on the same scale, or unscaling divides it away. On the CPU only an
    # explicit plugin keeps fp16 with its scaler (precision="16-mixed" falls back to bf16).
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**16)
    scaled = _l1_fit([MixedPrecision("16-mixed", "cpu", scaler)], tmp_path)
    assert scaler.get_scale() > 1  # the loss really was scaled
    plain = _l1_fit([], tmp_path)
    assert scaled == pytest.approx(plain, rel=0.05)
