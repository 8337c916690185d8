"""The circuit study trains its own target (stage train/), finds its circuit (stage circuit/) and
records what training cost; a study killed during training finishes like an uninterrupted one."""

from __future__ import annotations

import json
import logging

import lightning as L
import pytest
import torch

from subnetlab.lifecycle import stages
from subnetlab.lifecycle.runner import run, run_to_completion
from subnetlab.lifecycle.targets import load_target
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.circuit_study import CircuitStudySchema
from subnetlab.schemas.run import validate_run_config
from subnetlab.studies.circuit_study import circuit_study
from tests.conftest import QUIET_RUN, compose_raw

QUICK = ["logger=none", "callbacks.checkpoint=false", "trainer.progress_bar=false"]
#: metrics that measure time or memory, which differ between two runs of the same study
MEASURED = (
    "wall_time_s",
    "train_time_s",
    "peak_train_memory_mb",
    "inference_latency_ms",
    "discovery_time_s",
)


class CrashAtStep(L.Callback):
    """A killed process: raises once ``global_step`` reaches ``step``."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step >= self.step:
            raise RuntimeError("simulated kill")


def test_the_study_experiment_composes_the_study_and_its_training_block():
    raw = compose_raw(["experiment=circuit_study", "study.train.train_type=l1", "seed=2"])
    cfg = validate_run_config(raw)
    assert raw["study"]["_target_"] == f"{circuit_study.__module__}.circuit_study"
    assert raw["study"]["train"]["_target_"] == "subnetlab.methods.bimt.module.BimtModule"
    assert isinstance(cfg.study, CircuitStudySchema) and cfg.method.name == "circuit"
    assert cfg.study.train.train_type == "l1" and cfg.study.train.steps == 20000
    assert cfg.study.train.bias_penalty_start == 0.75
    assert cfg.task_name == "circuit_study_l1"


@pytest.mark.parametrize("train_type", ["vanilla", "bimt"])
def test_a_study_job_trains_measures_and_discovers(tmp_path, train_type):
    raw = compose_raw(
        [
            "experiment=circuit_study",
            f"study.train.train_type={train_type}",
            "study.train.steps=200",
            "study.train.swap_every=50",
            "study.latency_repeats=5",
            "method.tau_sweep=[0.01,1.0]",
            *QUICK,
        ],
        tmp_path,
    )
    result = run(raw, tmp_path / "job")
    assert result.status == "ok", result.error
    metrics = json.loads((tmp_path / "job" / "metrics.json").read_text())
    assert metrics["train_time_s"] > 0 and metrics["inference_latency_ms"] > 0
    assert metrics["peak_train_memory_mb"] > 0 and metrics["inference_batch_size"] == 100
    assert metrics["target_total_edges"] == 520 and metrics["target_test_loss"] > 0
    assert 0 <= metrics["node_tpr"] <= 1 and 0 <= metrics["node_auc"] <= 1
    # the training stage's final metrics are the target_* ones
    trained = json.loads((tmp_path / "job" / "train" / "metrics.json").read_text())
    assert trained["method"] == "bimt" and trained["test_loss"] == metrics["target_test_loss"]
    # the stage's target loads as a model=mlp target for later circuit runs
    cfg = validate_run_config(raw)
    network = load_target(str(tmp_path / "job" / "train"), cfg.model)
    assert network.widths == [4, 20, 20, 2]
    assert (tmp_path / "job" / "circuit" / "circuit_mask.pt").is_file()
    circuit = json.loads((tmp_path / "job" / "circuit" / "metrics.json").read_text())
    assert circuit["edges_kept"] == metrics["edges_kept"]


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        (["study.train=null", "task_name=study"], "study.train"),
        (["study.latency_repeats=0"], "study.latency_repeats"),
        (["study.train.train_type=l2"], "study.train.train_type"),
    ],
)
def test_bad_study_values_fail_before_any_work(tmp_path, overrides, key):
    raw = compose_raw(["experiment=circuit_study", *overrides, *QUICK], tmp_path)
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        run(raw, tmp_path / "job")
    assert not (tmp_path / "job" / "train").exists()


def test_a_study_killed_while_training_finishes_like_an_uninterrupted_one(
    tmp_path, monkeypatch, caplog
):
    raw = compose_raw(
        [
            "experiment=circuit_study",
            "study.train.steps=60",
            "study.train.swap_every=10",
            "study.latency_repeats=2",
            "method.tau_sweep=[]",
            "callbacks.checkpoint_every_n_steps=20",
            *QUIET_RUN,
        ],
        tmp_path,
    )
    uninterrupted = run(raw, tmp_path / "a")
    assert uninterrupted.status == "ok", uninterrupted.error

    def killed_while_training(stage_raw, stage_dir):
        crash = [CrashAtStep(45)] if stage_dir.name == "train" else []
        return run_to_completion(stage_raw, stage_dir, extra_callbacks=crash)

    monkeypatch.setattr(stages, "run_to_completion", killed_while_training)
    killed = run(raw, tmp_path / "b")
    assert killed.status == "failed" and "simulated kill" in (killed.error or "")
    ckpt = torch.load(tmp_path / "b/train/checkpoints/last.ckpt", weights_only=False)
    assert ckpt["global_step"] == 40
    assert not (tmp_path / "b" / "circuit").exists()
    monkeypatch.undo()

    with caplog.at_level(logging.INFO, logger="subnetlab"):
        again = run(raw, tmp_path / "b")  # the same command again: the training stage resumes
    assert again.status == "ok", again.error
    assert f"resuming from {tmp_path / 'b/train/checkpoints/last.ckpt'}" in caplog.text
    ckpt = torch.load(tmp_path / "b/train/checkpoints/last.ckpt", weights_only=False)
    assert ckpt["global_step"] == 60

    def results(metrics: dict) -> dict:
        return {k: v for k, v in metrics.items() if k not in MEASURED}

    assert results(again.metrics) == results(uninterrupted.metrics)
    assert "faithfulness" in again.metrics and "target_connection_cost" in again.metrics
    history = [json.loads((tmp_path / d / "train/bimt_history.json").read_text()) for d in "ab"]
    assert history[0] == history[1]


def test_missing_mnist_files_name_the_files_and_the_folder(tmp_path):
    empty = tmp_path / "no_mnist_here"
    empty.mkdir()
    raw = compose_raw(
        [
            "experiment=circuit_study_mnist",
            f"dataset.data_dir={empty}",
            "dataset.download=false",
            *QUICK,
        ],
        tmp_path,
    )
    with pytest.raises(ConfigError, match="dataset.data_dir") as caught:
        run(raw, tmp_path / "job")
    message = str(caught.value)
    assert "train-images-idx3-ubyte, train-labels-idx1-ubyte" in message
    assert str(empty.resolve()) in message
    record = json.loads((tmp_path / "job" / "metrics.json").read_text())
    assert record["status"] == "failed" and "no_mnist_here" in record["error"]


def test_a_modular_addition_study_job_finds_circuits_over_embedding_dimensions(tmp_path):
    raw = compose_raw(
        [
            "experiment=circuit_study_modular_addition",
            "dataset.p=7",
            "model.widths=[8,6,6,7]",
            "model.vocab_size=7",
            "model.embed_dim=4",
            "study.train.steps=50",
            "study.train.swap_every=25",
            "study.latency_repeats=2",
            "method.tau_sweep=[]",
            *QUICK,
        ],
        tmp_path,
    )
    assert raw["study"]["train"]["weight_decay"] == 1.0 and raw["method"]["metric"] == "kl"
    result = run(raw, tmp_path / "job")
    assert result.status == "ok", result.error
    metrics = json.loads((tmp_path / "job" / "metrics.json").read_text())
    # edges are the MLP's weights: 8*6 + 6*6 + 6*7; the test split holds 49 - int(0.8*49) pairs
    assert metrics["target_total_edges"] == 126 and metrics["inference_batch_size"] == 10
    assert metrics["edge_fraction"] == metrics["edges_kept"] / 126
    saved = torch.load(tmp_path / "job" / "circuit" / "circuit_mask.pt")
    assert saved["widths"] == [8, 6, 6, 7] and saved["metric"] == "kl"
