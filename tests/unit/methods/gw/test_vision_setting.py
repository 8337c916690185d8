"""The vision setting: GW on an MLP over MNIST test images (tiny IDX files written here)."""

import json
from pathlib import Path

import numpy as np
import torch

from subnetlab.data.mnist_idx import write_idx
from subnetlab.lifecycle.runner import run
from subnetlab.lifecycle.targets import save_target
from subnetlab.models.mlp import MLP
from subnetlab.schemas.mlp import MLPSchema
from tests.conftest import QUIET_RUN


def test_gw_on_an_mlp_over_mnist_images(composed, tmp_path: Path) -> None:
    data = tmp_path / "mnist"
    data.mkdir()
    rng = np.random.default_rng(0)
    write_idx(data / "t10k-images-idx3-ubyte", rng.integers(0, 256, (30, 28, 28), dtype=np.uint8))
    write_idx(data / "t10k-labels-idx1-ubyte", rng.integers(0, 10, 30, dtype=np.uint8))
    widths = [784, 16, 12, 10]
    torch.manual_seed(0)
    save_target(tmp_path / "target.pt", MLP(widths), MLPSchema(widths=widths), {})
    overrides = [
        "method=gw",
        "model=mlp",
        "model.widths=[784,16,12,10]",
        "dataset=mnist_images",
        f"dataset.data_dir={data}",
        "method.modules=[linears.*]",
        "method.probe_size=30",
        f"target.ckpt={tmp_path / 'target.pt'}",
        *QUIET_RUN,
    ]
    result = run(composed(overrides), tmp_path / "run")
    assert result.status == "ok", result.error
    groups = json.loads((tmp_path / "run" / "groups.json").read_text())
    assert groups["layers"] == ["linears.0", "linears.1", "linears.2"]
    assert result.metrics["n_layers"] == 3.0
