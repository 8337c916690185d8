import json
from pathlib import Path

import numpy as np
import pytest

from subnetlab.lifecycle.runner import run
from subnetlab.schemas.base import ConfigError
from tests.conftest import QUIET_RUN, tiny_transformer

TINY = [
    "experiment=gw_seed_identification",
    "model=transformer",
    "dataset=modular_addition_seq",
    *tiny_transformer(n_layers=3, train_steps=20),
    "method.probe_size=30",
    "method.seeds.n_seeds=2",
    *QUIET_RUN,
]


def test_seed_identification_run_scores_every_measure(composed, tmp_path: Path) -> None:
    result = run(composed(TINY), tmp_path / "run")
    assert result.status == "ok", result.error
    for measure in ("gw", "identity_loss", "linear_cka", "debiased_cka", "procrustes"):
        value = result.metrics[f"layer_id_accuracy/{measure}"]
        assert 0.0 <= value <= 1.0 and value * 6 == round(value * 6)  # 2 × 3 layer queries
    assert result.metrics["n_seeds"] == 2.0 and result.metrics["solver_time_s"] >= 0.0
    gw = np.load(tmp_path / "run" / "seeds_gw.npy")
    assert gw.shape == (6, 6) and np.allclose(gw, gw.T) and np.allclose(np.diag(gw), 0.0)
    record = json.loads((tmp_path / "run" / "seed_identification.json").read_text())
    assert record["seeds"] == [0, 1] and len(record["training_reports"]) == 2
    assert (tmp_path / "run" / "target.pt").is_file()  # the first seed's model


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
        "method.seeds.n_seeds=2",
        "method.seeds.first_seed=4",
        *QUIET_RUN,
    ]
    result = run(composed(overrides), tmp_path / "run")
    assert result.status == "ok", result.error
    record = json.loads((tmp_path / "run" / "seed_identification.json").read_text())
    assert record["layers"] == ["hidden.0", "hidden.1", "hidden.2"] and record["seeds"] == [4, 5]
    assert all(r["train_accuracy"] > 0.5 for r in record["training_reports"])  # learning
    gw = np.load(tmp_path / "run" / "seeds_gw.npy")
    assert gw.shape == (6, 6) and np.allclose(gw, gw.T)
    accuracy = result.metrics["layer_id_accuracy/gw"]
    assert accuracy * 6 == round(accuracy * 6)


def test_a_model_without_a_recipe_is_refused_before_any_training(composed, tmp_path: Path) -> None:
    overrides = ["experiment=gw_seed_identification", "model=mlp", "model.widths=[64,8,10]"]
    with pytest.raises(ConfigError, match="model.recipe=None.*model=mlp has none"):
        run(composed(overrides), tmp_path / "run")
