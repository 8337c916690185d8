"""Every option of every config group composes and validates; methods instantiate."""

from pathlib import Path

import pytest

from subnetlab.lifecycle.runner import build_datamodule, method_class
from subnetlab.methods.base import RunContext
from subnetlab.registry import build_model
from subnetlab.schemas.run import validate_run_config
from tests.conftest import CONF, compose_raw


def _options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


@pytest.mark.parametrize("group", ["model", "trainer", "logger", "callbacks", "debug"])
def test_every_option_composes_and_validates(group: str, tmp_path: Path) -> None:
    for option in _options(group):
        overrides = [f"{group}={option}"]
        if compose_raw(overrides, tmp_path).get("dataset") is None:  # no natural dataset
            overrides.append("dataset=symbolic_independence")
        cfg = validate_run_config(compose_raw(overrides, tmp_path))
        if group == "model":
            model = build_model(cfg.model)
            assert sum(p.numel() for p in model.parameters()) > 0


@pytest.mark.parametrize("experiment", _options("experiment"))
def test_every_experiment_composes_and_validates(experiment: str, tmp_path: Path) -> None:
    cfg = validate_run_config(compose_raw([f"experiment={experiment}"], tmp_path))
    assert cfg.method.name in experiment.split("_")[0] or cfg.method.name in experiment


def test_models_bring_their_dataset_and_command_line_wins(tmp_path: Path) -> None:
    assert compose_raw(["model=tms"], tmp_path)["dataset"]["name"] == "sparse_features"
    assert compose_raw(["model=resid_mlp2"], tmp_path)["dataset"]["name"] == "resid_features"
    raw = compose_raw(["model=tms", "dataset=resid_features"], tmp_path)
    assert raw["dataset"]["name"] == "resid_features"


@pytest.mark.parametrize("method", ["spd", "train"])
def test_methods_instantiate_on_a_small_target(method: str, tmp_path: Path) -> None:
    raw = compose_raw([f"method={method}", "model=tms_5_2_id"], tmp_path)
    cfg = validate_run_config(raw)
    cls = method_class(raw)
    ctx = RunContext(
        seed=0,
        run_dir=tmp_path,
        model_cfg=cfg.model,
        dataset_cfg=cfg.dataset,
        target=build_model(cfg.model) if cls.needs_target else None,
        datamodule=build_datamodule(raw, cfg),
    )
    module = cls(cfg.method, ctx)
    # SPD's budget is its own steps; method=train's is the model's recipe
    steps = cfg.method.steps if method == "spd" else cfg.model.recipe.steps
    assert module.trains and module.max_steps == steps


@pytest.mark.parametrize("dataset", ["modular_addition_seq", "char_lm"])
def test_transformer_datasets_compose_and_serve_probes(dataset: str, tmp_path: Path) -> None:
    overrides = ["method=gw", "model=transformer", f"dataset={dataset}"]
    if dataset == "char_lm":
        overrides += ["model.vocab_size=96", "model.n_ctx=32"]
    raw = compose_raw(overrides, tmp_path)
    cfg = validate_run_config(raw)
    probe = build_datamodule(raw, cfg).eval_batch(8)
    assert probe.shape == (8, 3 if dataset == "modular_addition_seq" else 32)
    ctx = RunContext(
        seed=0,
        run_dir=tmp_path,
        model_cfg=cfg.model,
        dataset_cfg=cfg.dataset,
        target=build_model(cfg.model),
        datamodule=build_datamodule(raw, cfg),
    )
    module = method_class(raw)(cfg.method, ctx)
    assert module.layer_names == [f"blocks.{i}" for i in range(6)]


def test_mnist_images_option_composes(tmp_path: Path) -> None:
    raw = compose_raw(
        ["method=gw", "model=mlp", "model.widths=[784,32,10]", "dataset=mnist_images"]
    )
    assert validate_run_config(raw).dataset.data_dir.endswith("mnist")
