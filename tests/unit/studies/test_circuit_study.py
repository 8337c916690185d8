"""The study module trains its own target, records what that cost, then finds the circuit."""

from __future__ import annotations

import json

import pytest
import torch

from subnetlab.lifecycle.runner import run
from subnetlab.lifecycle.targets import load_target
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.run import validate_run_config
from tests.conftest import compose_raw

QUICK = ["logger=none", "callbacks.checkpoint=false", "trainer.progress_bar=false"]


@pytest.mark.parametrize("train_type", ["vanilla", "bimt"])
def test_a_study_job_trains_measures_and_discovers(tmp_path, train_type):
    raw = compose_raw(
        [
            "experiment=circuit_study",
            f"method.train.train_type={train_type}",
            "method.train.steps=200",
            "method.train.swap_every=50",
            "method.tau_sweep=[0.01,1.0]",
            "method.latency_repeats=5",
            *QUICK,
        ],
        tmp_path,
    )
    result = run(raw, tmp_path / "job")
    assert result.status == "ok", result.error
    metrics = json.loads((tmp_path / "job" / "metrics.json").read_text())
    assert metrics["train_time_s"] > 0 and metrics["inference_latency_ms"] > 0
    assert metrics["peak_train_memory_mb"] >= 0 and metrics["inference_batch_size"] == 100
    assert metrics["target_total_edges"] == 520 and metrics["target_test_loss"] > 0
    assert 0 <= metrics["node_tpr"] <= 1 and 0 <= metrics["node_auc"] <= 1
    # the job's own target is saved and loads as a model=mlp target for later circuit runs
    cfg = validate_run_config(raw)
    network = load_target(str(tmp_path / "job"), cfg.model)
    assert network.widths == [4, 20, 20, 2]
    assert (tmp_path / "job" / "circuit_mask.pt").is_file()


def test_the_study_needs_its_training_block(tmp_path):
    raw = compose_raw(
        ["experiment=circuit_study", "method.train=null", "task_name=study", *QUICK], tmp_path
    )
    with pytest.raises(ConfigError, match="method.train"):
        run(raw, tmp_path / "job")


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
            "method.train.steps=50",
            "method.train.swap_every=25",
            "method.tau_sweep=[]",
            "method.latency_repeats=2",
            *QUICK,
        ],
        tmp_path,
    )
    assert raw["method"]["train"]["weight_decay"] == 1.0 and raw["method"]["metric"] == "kl"
    result = run(raw, tmp_path / "job")
    assert result.status == "ok", result.error
    metrics = json.loads((tmp_path / "job" / "metrics.json").read_text())
    # edges are the MLP's weights: 8*6 + 6*6 + 6*7; the test split holds 49 - int(0.8*49) pairs
    assert metrics["target_total_edges"] == 126 and metrics["inference_batch_size"] == 10
    assert metrics["edge_fraction"] == metrics["edges_kept"] / 126
    saved = torch.load(tmp_path / "job" / "circuit_mask.pt")
    assert saved["widths"] == [8, 6, 6, 7] and saved["metric"] == "kl"
