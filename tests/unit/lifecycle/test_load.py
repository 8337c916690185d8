"""``subnetlab.load_run``: a run folder of every method loads back with its metrics, target and the
trained state that reproduces the run's numbers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

import subnetlab
from subnetlab.lifecycle.runner import run
from subnetlab.utils.checkpoint_files import read_checkpoint
from tests.conftest import CONF, QUICK_TMS, QUIET_RUN, run_cli

TMS_TARGET = ["model.recipe.steps=300", "model.recipe.n_candidates=2"]
BIMT = ["experiment=bimt_independence", "trainer.max_steps=20", *QUIET_RUN]


def run_as_cli(overrides: list[str], output_dir: Path, name: str) -> Path:
    """Run ``overrides`` in this process into ``output_dir/runs/name``, whose ``.hydra/config.yaml``
    holds the composed config unresolved and without ``hydra``, as ``run.py`` leaves it."""
    overrides = [*overrides, f"paths.output_dir={output_dir}"]
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(config_name="config", overrides=overrides)
    folder = output_dir / "runs" / name
    (folder / ".hydra").mkdir(parents=True)
    OmegaConf.save(cfg, folder / ".hydra" / "config.yaml")  # compose leaves ``hydra`` out
    raw = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(raw, dict)
    result = run({str(k): v for k, v in raw.items()}, folder)
    assert result.status == "ok", result.error
    return folder


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("outputs")


@pytest.fixture(scope="module")
def train_run(outputs: Path) -> Path:
    return run_as_cli(["method=train", "model=tms", *TMS_TARGET, *QUIET_RUN], outputs, "train")


@pytest.fixture(scope="module")
def bimt_run(outputs: Path) -> Path:
    return run_as_cli(BIMT, outputs, "bimt")


def final_metrics_again(loaded: Any) -> dict[str, float]:
    """The reloaded module's final metrics, computed afresh."""
    loaded.module.run_analysis()
    return {k: float(v) for k, v in loaded.module.final_metrics().items()}


def assert_metrics_reproduced(loaded: Any) -> None:
    again = final_metrics_again(loaded)
    assert again, "the method reports final metrics"
    for name, value in again.items():
        if name.endswith("time_s"):  # how long the run's training took
            continue
        assert value == pytest.approx(loaded.metrics[name], rel=1e-5, abs=1e-7), name


def test_spd_run_reloads_its_decomposition_from_the_checkpoint(outputs: Path, train_run: Path):
    folder = run_as_cli(
        ["method=spd", "model=tms", *QUICK_TMS, "logger=none", f"target.ckpt={train_run}"],
        outputs,
        "spd",
    )
    loaded = subnetlab.load_run(folder)
    assert loaded.metrics["status"] == "ok" and loaded.run_config.method.steps == 30
    assert json.loads((folder / "target.json").read_text()) == {
        "source": "ckpt",
        "path": str(train_run.resolve()),
        "copied": True,
    }
    saved = read_checkpoint(folder / "checkpoints" / "last.ckpt")["state_dict"]
    reloaded = loaded.module.state_dict()
    assert set(reloaded) == set(saved)
    for name, tensor in saved.items():
        assert torch.equal(reloaded[name], tensor), name
    # the decomposition evaluates to the run's final numbers (ci_l0, mmcs, target-solution error)
    assert_metrics_reproduced(loaded)
    assert loaded.state is loaded.module
    assert loaded.figures
    assert all(path.suffix == ".png" and path.is_file() for path in loaded.figures.values())


def test_apd_run_reloads_after_its_cached_target_is_deleted(outputs: Path, tmp_path: Path):
    overrides = ["experiment=apd_tms_5_2", *QUICK_TMS, "dataset.batch_size=64", "logger=none"]
    folder = run_as_cli(overrides, tmp_path, "apd")
    record = json.loads((folder / "target.json").read_text())
    assert record["source"] == "cache" and record["copied"] is True
    assert Path(record["path"]).name == record["hash"]
    shutil.rmtree(tmp_path / "targets")  # the copy in the run folder is what remains
    loaded = subnetlab.load_run(folder)
    assert loaded.run_config.method.name == "apd"
    assert_metrics_reproduced(loaded)


def test_train_run_loads_its_trained_network(train_run: Path):
    loaded = subnetlab.load_run(train_run)
    assert json.loads((train_run / "target.json").read_text()) == {
        "source": "this_run",
        "copied": False,
    }
    assert loaded.metrics["features_learned"] == 5
    assert loaded.module is not None and loaded.module.trained is not None
    # the trained TMS reconstructs sparse inputs (one active feature each)
    x = torch.eye(5)
    assert float(((loaded.target(x) - x) ** 2).mean()) < 0.05


def test_bimt_run_loads_its_network(bimt_run: Path):
    loaded = subnetlab.load_run(bimt_run)
    assert loaded.run_config.method.name == "bimt" and loaded.metrics["status"] == "ok"
    assert loaded.module is not None
    x = torch.rand(16, 4)
    assert torch.equal(loaded.target(x), loaded.module.network(x))
    assert isinstance(loaded.artifacts["bimt_history"], list)
    assert_metrics_reproduced(loaded)


def test_circuit_run_loads_its_mask(outputs: Path, bimt_run: Path):
    overrides = [
        "experiment=circuit_independence",
        f"target.ckpt={bimt_run}",
        "method.tau_sweep=[]",
        *QUIET_RUN,
    ]
    loaded = subnetlab.load_run(run_as_cli(overrides, outputs, "circuit"))
    assert loaded.module is None
    mask = loaded.state["circuit_mask"]
    assert mask["algorithm"] == "acdc"
    assert sum(int(m.sum()) for m in mask["mask"]) == loaded.metrics["edges_kept"]
    bimt = subnetlab.load_run(bimt_run).target
    x = torch.rand(16, 4)
    assert torch.equal(loaded.target(x), bimt(x))


def test_gw_run_from_the_command_line_loads_its_matrices(tmp_path: Path):
    args = ["method=gw", "model=tms", "method.probe_size=16", *TMS_TARGET, *QUIET_RUN]
    proc = run_cli([*args, f"paths.output_dir={tmp_path}"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (folder,) = (tmp_path / "runs").iterdir()
    loaded = subnetlab.load_run(folder)
    groups = loaded.state["groups"]
    gw = loaded.state["gw"]
    assert gw.shape == (len(groups["layers"]),) * 2 == (2, 2)
    off_diagonal = gw[~np.eye(2, dtype=bool)]
    assert float(off_diagonal.mean()) == pytest.approx(loaded.metrics["gw_mean"])
    assert loaded.metrics["n_groups"] == groups["n_groups"]


def test_a_folder_that_is_not_a_run_folder_is_named(tmp_path: Path, train_run: Path):
    with pytest.raises(subnetlab.RunFolderError, match=r"is not a folder"):
        subnetlab.load_run(tmp_path / "missing")
    with pytest.raises(subnetlab.RunFolderError, match=r"\.hydra/config\.yaml is missing"):
        subnetlab.load_run(tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(train_run, copy)
    (copy / "checkpoints" / "last.ckpt").unlink()
    with pytest.raises(subnetlab.RunFolderError, match=r"has no checkpoints/last\.ckpt"):
        subnetlab.load_run(copy)
    (copy / "metrics.json").unlink()
    with pytest.raises(subnetlab.RunFolderError, match=r"has no metrics\.json"):
        subnetlab.load_run(copy)
