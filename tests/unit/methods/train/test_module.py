from pathlib import Path

import torch

from subnetlab.data.image_classification import build_image_task
from subnetlab.lifecycle.runner import run
from subnetlab.lifecycle.targets import load_target
from subnetlab.schemas.datasets import DigitsSchema
from subnetlab.schemas.mlp import MLPSchema
from tests.conftest import QUIET_RUN


def test_train_run_saves_a_digit_mlp_that_classifies_and_reports_its_loss(
    composed, tmp_path: Path
) -> None:
    overrides = [
        "method=train",
        "model=mlp_digits",
        "model.widths=[64,32,32,10]",
        "method.steps=150",
        "model.recipe.lr=0.01",
        "model.recipe.warmup_steps=10",
        *QUIET_RUN,
    ]
    result = run(composed(overrides), tmp_path / "run")
    assert result.status == "ok", result.error
    metrics = result.metrics
    assert metrics["loss"] == metrics["train_loss"] == result.objective
    assert not any("not among the final metrics" in note for note in result.notes)
    assert metrics["test_accuracy"] >= 0.85, metrics
    model = load_target(
        str(tmp_path / "run"), MLPSchema(widths=[64, 32, 32, 10], activation="tanh")
    )
    task = build_image_task(DigitsSchema())
    with torch.no_grad():
        accuracy = (model(task.test_images).argmax(1) == task.test_labels).float().mean()
    # the saved model is the one the report scored
    assert abs(float(accuracy) - metrics["test_accuracy"]) < 1e-6


def test_train_run_of_tms_keeps_its_own_loss(composed, tmp_path: Path) -> None:
    overrides = [
        "method=train",
        "model=tms",
        "model.recipe.steps=200",
        "model.recipe.n_candidates=2",
        *QUIET_RUN,
    ]
    result = run(composed(overrides), tmp_path / "run")
    assert result.status == "ok", result.error
    assert "train_loss" not in result.metrics and result.objective == result.metrics["loss"]
