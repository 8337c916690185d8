"""The MNIST circuit study runs through the CLI on generated MNIST IDX files."""

import json
from pathlib import Path

import numpy as np
import torch

from subnetlab.data.mnist_idx import FILES, write_idx
from tests.conftest import run_cli


def write_generated_mnist(root: Path, n_train: int, n_test: int) -> None:
    """Class c: a bright 6x6 square at its own place on a dark 28x28 image, plus noise."""
    rng = np.random.default_rng(0)
    root.mkdir(parents=True)
    for split, n in (("train", n_train), ("test", n_test)):
        labels = rng.integers(0, 10, size=n).astype(np.uint8)
        images = rng.integers(0, 40, size=(n, 28, 28)).astype(np.uint8)
        for i, c in enumerate(labels):
            row, col = 2 + 12 * (c % 2), 2 + 5 * (c // 2)
            images[i, row : row + 6, col : col + 6] = 255
        image_file, label_file = FILES[split]
        write_idx(root / image_file, images)
        write_idx(root / label_file, labels)


def test_mnist_study_job_trains_and_finds_a_circuit(tmp_path: Path) -> None:
    write_generated_mnist(tmp_path / "mnist", n_train=200, n_test=20)
    run_dir = tmp_path / "job"
    overrides = [
        "experiment=circuit_study_mnist",
        f"dataset.data_dir={tmp_path / 'mnist'}",
        "dataset.download=false",
        "study.train.train_type=bimt",
        "study.train.steps=20",
        "study.train.swap_every=20",
        "study.train.swap_top_k=2",
        "trainer.log_every_n_steps=10",
        "method.probe_size=10",
        "study.latency_repeats=2",
        "logger=none",
        "callbacks.checkpoint=false",
        "trainer.progress_bar=false",
        f"hydra.run.dir={run_dir}",
    ]
    proc = run_cli(overrides, tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["status"] == "ok"
    assert metrics["target_total_edges"] == 784 * 100 + 100 * 100 + 100 * 10
    assert metrics["inference_batch_size"] == 20 and metrics["train_time_s"] > 0
    assert metrics["discovery_time_s"] > 0 and metrics["forward_passes"] >= 1
    assert 0 < metrics["edges_kept"] <= metrics["target_total_edges"]
    assert metrics["edge_fraction"] == metrics["edges_kept"] / 89_400
    mask = torch.load(run_dir / "circuit" / "circuit_mask.pt")
    assert mask["widths"] == [784, 100, 100, 10] and mask["metric"] == "mse"
    assert int(sum(int(m.sum()) for m in mask["mask"])) == metrics["edges_kept"]
    assert (run_dir / "circuit" / "figures" / "circuit.png").is_file()
    assert (run_dir / "train" / "figures" / "receptive_fields.png").is_file()
