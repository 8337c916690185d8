"""End to end through the runner API: compose a BIMT experiment, run it, check the run folder."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from subnetlab.cli.run_dir import register_resolvers
from subnetlab.data.mnist_idx import write_idx
from subnetlab.lifecycle.loggers import tensorboard_run_dir
from subnetlab.lifecycle.runner import run
from subnetlab.models.mlp import MLP
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.run import validate_run_config

CONF = Path(__file__).resolve().parents[4] / "conf"
EXPERIMENTS = sorted(p.stem for p in (CONF / "experiment").glob("bimt_*.yaml"))
QUICK = ["logger=none", "callbacks.checkpoint=false", "trainer.progress_bar=false"]


def _raw(overrides: list[str]) -> dict:
    register_resolvers()
    with initialize_config_dir(str(CONF), version_base="1.3"):
        cfg = compose("config", overrides=overrides)
    raw = OmegaConf.to_container(cfg, resolve=True)
    raw.pop("hydra", None)
    return raw


def test_all_seven_experiments_exist_and_validate():
    assert EXPERIMENTS == [
        "bimt_compositionality",
        "bimt_feature_sharing",
        "bimt_independence",
        "bimt_mnist",
        "bimt_modular_addition",
        "bimt_permutation_s4",
        "bimt_two_moons",
    ]
    for name in EXPERIMENTS:
        cfg = validate_run_config(_raw([f"experiment={name}"]))
        assert cfg.method.name == "bimt" and cfg.model.name == "mlp"


@pytest.mark.parametrize(
    "override",
    [
        "method.train_type=l1_swap",
        "method.cost.reduction=mean",
        "method.cost.exempt_last_layer=true",
        "method.batch_size=10",
        "method.loss=mse",
        "method.bias_penalty_start=0.5",
        "method.lambda_phases=[{start:0.0,multiplier:2.0},{start:0.5,multiplier:0.0}]",
        "model.activation=tanh",
        "model.geometry=grid",
        "dataset.n_train=30",
    ],
)
def test_each_option_composes_into_a_short_run(override, tmp_path):
    raw = _raw(
        [
            "experiment=bimt_independence",
            "method.steps=20",
            "trainer.log_every_n_steps=10",
            "method.swap_every=10",
            override,
            *QUICK,
        ]
    )
    result = run(raw, tmp_path)
    assert result.status == "ok", result.error
    assert result.metrics["test_loss"] > 0


def test_bad_values_fail_before_any_work(tmp_path):
    with pytest.raises(ConfigError, match="method.train_type"):
        run(_raw(["experiment=bimt_independence", "method.train_type=l2"]), tmp_path)
    with pytest.raises(ConfigError, match="lambda_phases"):
        run(
            _raw(
                [
                    "experiment=bimt_independence",
                    "method.lambda_phases=[{start:0.5,multiplier:1.0}]",
                ]
            ),
            tmp_path,
        )
    assert not (tmp_path / "metrics.json").exists()


def test_independence_run_writes_metrics_figures_images_and_a_loadable_target(tmp_path):
    raw = _raw(
        [
            "experiment=bimt_independence",
            "method.steps=60",
            "trainer.log_every_n_steps=20",
            "callbacks.figures_every_n_steps=20",
            "method.swap_every=20",
            "logger=tensorboard",
            "callbacks.checkpoint=false",
            "trainer.progress_bar=false",
        ]
    )
    result = run(raw, tmp_path)
    assert result.status == "ok", result.error
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    for key in (
        "test_loss",
        "connection_cost",
        "edges_above_5pct",
        "alive_neurons",
        "shared_hidden_neurons",
        "edges_above_1pct",
        "edges_above_10pct",
        "connected_components",
    ):
        assert key in metrics
    assert metrics["total_edges"] == 520
    assert (tmp_path / "figures" / "network.png").is_file()
    assert len(json.loads((tmp_path / "bimt_history.json").read_text())) == 3
    tb_run = tensorboard_run_dir(tmp_path)
    assert tb_run.name == "bimt_mlp"  # a run without run.py: <method>_<model>
    events = EventAccumulator(str(tb_run), size_guidance={"images": 0}).Reload()
    # PeriodicFigures every 20 steps, the runner's final figure at the last step: each step once
    steps = sorted(event.step for event in events.Images("figures/network"))
    assert steps == [20, 40, 60]
    payload = torch.load(tmp_path / "target.pt", weights_only=True)
    model = MLP(**validate_run_config(raw).model.model_kwargs())
    model.load_state_dict(payload["state_dict"])
    x = torch.rand(5, 4) * 2 - 1
    assert model.to_layered_net().forward(x).shape == (5, 2)


def test_token_and_mnist_experiments_run_briefly(tmp_path):
    result = run(
        _raw(
            [
                "experiment=bimt_modular_addition",
                "dataset.p=7",
                "model.widths=[64,20,7]",
                "model.vocab_size=7",
                "method.steps=20",
                "trainer.log_every_n_steps=10",
                *QUICK,
            ]
        ),
        tmp_path / "modadd",
    )
    assert result.status == "ok", result.error
    assert 0 <= result.metrics["test_accuracy"] <= 1
    assert (tmp_path / "modadd" / "figures" / "embedding.png").is_file()
    result = run(
        _raw(
            [
                "experiment=bimt_permutation_s4",
                "model.widths=[64,10,24]",
                "method.steps=4",
                "trainer.log_every_n_steps=2",
                *QUICK,
            ]
        ),
        tmp_path / "s4",
    )
    assert result.status == "ok", result.error
    assert (tmp_path / "s4" / "figures" / "embedding.png").is_file()
    data = tmp_path / "data" / "mnist"
    data.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for stem, n in (("train", 20), ("t10k", 10)):
        write_idx(data / f"{stem}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28), np.uint8))
        write_idx(data / f"{stem}-labels-idx1-ubyte", rng.integers(0, 10, n, np.uint8))
    result = run(
        _raw(
            [
                "experiment=bimt_mnist",
                f"paths.data_dir={tmp_path / 'data'}",
                "method.steps=4",
                "trainer.log_every_n_steps=2",
                "method.swap_every=2",
                "method.batch_size=5",
                *QUICK,
            ]
        ),
        tmp_path / "mnist",
    )
    assert result.status == "ok", result.error
    assert (tmp_path / "mnist" / "figures" / "receptive_fields.png").is_file()


def test_a_model_that_does_not_fit_the_task_fails_with_the_needed_widths(tmp_path):
    result = run(_raw(["experiment=bimt_independence", "model.widths=[3,8,2]", *QUICK]), tmp_path)
    assert result.status == "failed"
    assert "model.widths[0] must be 4" in result.error
