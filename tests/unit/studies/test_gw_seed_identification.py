"""``study=gw_seed_identification``: method=train stages per seed, then GW across all layers."""

import json
from pathlib import Path

import numpy as np
import pytest

from subnetlab.lifecycle import stages
from subnetlab.lifecycle.runner import run
from subnetlab.lifecycle.targets import load_target
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.run import validate_run_config
from tests.conftest import QUIET_RUN, tiny_transformer

TINY = [
    "experiment=gw_seed_identification",
    "model=transformer",
    "dataset=modular_addition_seq",
    *tiny_transformer(n_layers=3, train_steps=20),
    "method.probe_size=30",
    "study.n_seeds=2",
    *QUIET_RUN,
]
TIMINGS = ("wall_time_s", "solver_time_s", "train_time_s")


def _results(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k not in TIMINGS}


def test_seed_identification_run_scores_every_measure(composed, tmp_path: Path) -> None:
    result = run(composed(TINY), tmp_path / "run")
    assert result.status == "ok", result.error
    for measure in ("gw", "identity_loss", "linear_cka", "debiased_cka", "procrustes"):
        value = result.metrics[f"layer_id_accuracy/{measure}"]
        assert 0.0 <= value <= 1.0 and value * 6 == round(value * 6)  # 2 × 3 layer queries
    assert result.metrics["n_seeds"] == 2.0 and result.metrics["n_layers"] == 3.0
    gw = np.load(tmp_path / "run" / "seeds_gw.npy")
    assert gw.shape == (6, 6) and np.allclose(gw, gw.T) and np.allclose(np.diag(gw), 0.0)
    # the first seed's own 3×3 block is its layer grouping
    np.testing.assert_array_equal(np.load(tmp_path / "run" / "gw.npy"), gw[:3, :3])
    record = json.loads((tmp_path / "run" / "seed_identification.json").read_text())
    assert record["seeds"] == [0, 1] and len(record["training_reports"]) == 2
    # each seed is a method=train run with its own target.pt
    cfg = validate_run_config(composed(TINY))
    accuracies = []
    for seed in (0, 1):
        stage = json.loads((tmp_path / "run" / f"train_seed={seed}" / "metrics.json").read_text())
        assert stage["method"] == "train" and stage["seed"] == seed and stage["status"] == "ok"
        load_target(str(tmp_path / "run" / f"train_seed={seed}"), cfg.model)
        accuracies.append(stage["test_accuracy"])
    assert result.metrics["seed_mean/test_accuracy"] == np.mean(accuracies)


def test_default_setting_is_the_digits_mlp_and_probes_its_hidden_layers(
    composed, tmp_path: Path
) -> None:
    overrides = [
        "experiment=gw_seed_identification",
        "model.widths=[64,24,24,24,10]",
        "model.recipe.steps=100",
        "model.recipe.warmup_steps=10",
        "model.recipe.lr=0.01",
        "method.probe_size=40",
        "study.n_seeds=2",
        "study.first_seed=4",
        *QUIET_RUN,
    ]
    result = run(composed(overrides), tmp_path / "run")
    assert result.status == "ok", result.error
    record = json.loads((tmp_path / "run" / "seed_identification.json").read_text())
    assert record["layers"] == ["hidden.0", "hidden.1", "hidden.2"] and record["seeds"] == [4, 5]
    assert all(r["train_accuracy"] > 0.5 for r in record["training_reports"])  # learning
    assert {p.name for p in (tmp_path / "run").glob("train_seed=*")} == {
        "train_seed=4",
        "train_seed=5",
    }
    gw = np.load(tmp_path / "run" / "seeds_gw.npy")
    assert gw.shape == (6, 6) and np.allclose(gw, gw.T)
    accuracy = result.metrics["layer_id_accuracy/gw"]
    assert accuracy * 6 == round(accuracy * 6)
    assert result.objective == accuracy  # the experiment's optimized metric


def test_a_model_without_a_recipe_is_refused_before_any_training(composed, tmp_path: Path) -> None:
    overrides = ["experiment=gw_seed_identification", "model=mlp", "model.widths=[64,8,10]"]
    with pytest.raises(ConfigError, match="model.recipe=None.*model=mlp has none"):
        run(composed(overrides), tmp_path / "run")
    assert not list((tmp_path / "run").glob("*/target.pt"))


def test_layer_patterns_matching_nothing_fail_before_any_training(composed, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        run(composed([*TINY, "method.modules=[nothing.*]"]), tmp_path / "run")
    assert info.value.key == "method.modules"
    assert not (tmp_path / "run").exists()


def test_a_killed_study_reuses_finished_stages_and_ends_with_the_same_metrics(
    composed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = composed(TINY)
    uninterrupted = run(raw, tmp_path / "a")
    assert uninterrupted.status == "ok", uninterrupted.error

    real_run = stages.run_to_completion

    def killed_in_the_second_stage(stage_raw: dict, stage_dir: Path, extra_callbacks=()):
        if stage_dir.name == "train_seed=1":
            raise RuntimeError("simulated kill")
        return real_run(stage_raw, stage_dir, extra_callbacks)

    monkeypatch.setattr(stages, "run_to_completion", killed_in_the_second_stage)
    killed = run(raw, tmp_path / "b")
    assert killed.status == "failed" and "simulated kill" in (killed.error or "")
    first_stage = tmp_path / "b" / "train_seed=0" / "metrics.json"
    finished_at = first_stage.stat().st_mtime_ns

    monkeypatch.setattr(stages, "run_to_completion", real_run)
    resumed = run(raw, tmp_path / "b")
    assert resumed.status == "ok", resumed.error
    assert first_stage.stat().st_mtime_ns == finished_at  # the finished stage was not redone
    assert _results(resumed.metrics) == _results(uninterrupted.metrics)
    np.testing.assert_array_equal(
        np.load(tmp_path / "a" / "seeds_gw.npy"), np.load(tmp_path / "b" / "seeds_gw.npy")
    )
