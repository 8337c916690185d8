from pathlib import Path
from typing import Any

import lightning as L
import pytest
import torch
from torch import nn

from subnetlab.data.image_classification import build_digits
from subnetlab.lifecycle.runner import run
from subnetlab.lifecycle.targets import load_target
from subnetlab.methods.base import RunContext
from subnetlab.methods.train.module import TrainModule
from subnetlab.schemas.datasets import (
    DigitsSchema,
    ModularAdditionSeqSchema,
    ResidFeaturesSchema,
    SparseFeaturesSchema,
)
from subnetlab.schemas.mlp import MLPSchema
from subnetlab.schemas.models import (
    ResidMLPRecipe,
    ResidMLPSchema,
    SupervisedRecipe,
    TMSRecipe,
    TMSSchema,
    TransformerSchema,
)
from subnetlab.schemas.train import TrainSchema
from subnetlab.training.recipe import build_recipe
from tests.conftest import QUIET_RUN
from tests.e2e.test_resume_and_failures import CrashAtStep, PoisonAtStep
from tests.unit.training.plain_loop import train_plainly

# a TMS training of a few seconds that checkpoints every 10 steps
QUICK_TRAIN = [
    "method=train",
    "model=tms",
    "model.recipe.steps=60",
    "model.recipe.n_candidates=2",
    "model.recipe.batch_size=256",
    "model.recipe.lr=0.05",
    "trainer.log_every_n_steps=5",
    "callbacks.checkpoint_every_n_steps=10",
    *QUIET_RUN,
]


def _global_step(run_dir: Path) -> int:
    return torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)["global_step"]


def _weights(run_dir: Path) -> dict[str, torch.Tensor]:
    return torch.load(run_dir / "target.pt", weights_only=True)["state_dict"]


def _train_in_memory(model_cfg: Any, dataset_cfg: Any, seed: int) -> tuple[nn.Module, dict]:
    """TrainModule fitted by a bare CPU Trainer (no run folder): the network and its report."""
    ctx = RunContext(seed=seed, run_dir=Path.cwd(), model_cfg=model_cfg, dataset_cfg=dataset_cfg)
    module = TrainModule(TrainSchema(), ctx)
    trainer = L.Trainer(
        max_steps=module.max_steps,
        max_epochs=-1,
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        limit_val_batches=0,
    )
    trainer.fit(module)
    module.run_analysis()
    model = module.trained_target()
    assert model is not None
    return model, module.final_metrics()


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
    assert _global_step(tmp_path / "run") == 150  # method.steps overrides the recipe's 2000
    model = load_target(
        str(tmp_path / "run"), MLPSchema(widths=[64, 32, 32, 10], activation="tanh")
    )
    split = build_digits(DigitsSchema()).split
    with torch.no_grad():
        accuracy = (model(split.x_test).argmax(1) == split.y_test).float().mean()
    # the saved model is the one the report scored
    assert abs(float(accuracy) - metrics["test_accuracy"]) < 1e-6


def test_train_run_of_tms_keeps_its_own_loss_and_draws_its_figures(
    composed, tmp_path: Path
) -> None:
    result = run(composed(QUICK_TRAIN), tmp_path / "run")
    assert result.status == "ok", result.error
    assert "train_loss" not in result.metrics and result.objective == result.metrics["loss"]
    figures = tmp_path / "run" / "figures"
    assert (figures / "training_loss.png").is_file()
    assert (figures / "feature_directions.png").is_file()


@pytest.mark.parametrize(
    ("bound", "steps"), [("trainer.max_steps=7", 7), ("debug=fast", 20)], ids=["max_steps", "fast"]
)
def test_trainer_max_steps_bounds_the_training(
    composed, tmp_path: Path, bound: str, steps: int
) -> None:
    result = run(composed([*QUICK_TRAIN, bound]), tmp_path / "run")
    assert result.status == "ok", result.error
    assert _global_step(tmp_path / "run") == steps
    # a capped TMS run reports its best candidate instead of failing on unlearned features
    assert 0 <= result.metrics["features_learned"] <= 5


def test_a_killed_run_resumed_ends_with_the_weights_and_metrics_of_an_uninterrupted_one(
    composed, tmp_path: Path
) -> None:
    raw = composed(QUICK_TRAIN)
    uninterrupted = run(raw, tmp_path / "a")
    assert uninterrupted.status == "ok", uninterrupted.error
    killed = run(raw, tmp_path / "b", extra_callbacks=[CrashAtStep(25)])
    assert killed.status == "failed" and _global_step(tmp_path / "b") == 20
    resumed = run({**raw, "resume": True}, tmp_path / "b")
    assert resumed.status == "ok", resumed.error

    def final(metrics: dict) -> dict:
        return {k: v for k, v in metrics.items() if k != "wall_time_s"}

    assert final(resumed.metrics) == final(uninterrupted.metrics)
    a, b = _weights(tmp_path / "a"), _weights(tmp_path / "b")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_a_non_finite_loss_fails_the_run_naming_the_knob(composed, tmp_path: Path) -> None:
    result = run(composed(QUICK_TRAIN), tmp_path / "run", extra_callbacks=[PoisonAtStep(15)])
    assert result.status == "failed" and result.objective == float("inf")
    assert "NonFiniteLossError" in (result.error or "")
    assert "at step 15" in (result.error or "") and "lower model.recipe.lr" in (result.error or "")


def test_the_trainer_path_takes_exactly_the_steps_of_the_plain_reference_loop() -> None:
    """Lightning adds nothing to the maths: the same weights as the recipe's plain loop."""
    cases = [
        (
            TMSSchema(recipe=TMSRecipe(steps=60, batch_size=256, lr=0.05, n_candidates=2)),
            SparseFeaturesSchema(),
            0,
        ),
        (
            ResidMLPSchema(n_features=8, d_embed=16, d_mlp=4, recipe=ResidMLPRecipe(steps=30)),
            ResidFeaturesSchema(),
            1,
        ),
        (
            MLPSchema(widths=[64, 16, 10], recipe=SupervisedRecipe(steps=30, warmup_steps=5)),
            DigitsSchema(),
            0,
        ),
    ]
    for model_cfg, dataset_cfg, seed in cases:
        reference, reference_report = train_plainly(build_recipe(model_cfg, dataset_cfg, seed))
        trained, report = _train_in_memory(model_cfg, dataset_cfg, seed)
        ours, theirs = trained.state_dict(), reference.state_dict()
        assert all(torch.equal(ours[k], theirs[k]) for k in theirs), model_cfg.name
        assert {k: report[k] for k in reference_report} == reference_report


@pytest.mark.parametrize(
    ("model_cfg", "dataset_cfg"),
    [
        (TMSSchema(recipe=TMSRecipe(batch_size=8)), SparseFeaturesSchema()),
        (
            ResidMLPSchema(n_features=6, d_embed=8, d_mlp=3, recipe=ResidMLPRecipe()),
            ResidFeaturesSchema(),
        ),
        (
            TransformerSchema(vocab_size=8, d_model=8, n_heads=2, d_mlp=8, n_layers=1),
            ModularAdditionSeqSchema(p=7),
        ),
        (MLPSchema(widths=[64, 8, 10], recipe=SupervisedRecipe(batch_size=8)), DigitsSchema()),
    ],
    ids=["tms", "resid_mlp", "transformer", "mlp"],
)
def test_a_step_creates_its_tensors_on_the_modules_device(model_cfg, dataset_cfg) -> None:
    """Lightning moves the module and the batch; the loss (and its backward pass) must then run
    there without a tensor made elsewhere (meta stands in for an accelerator)."""
    ctx = RunContext(seed=0, run_dir=Path("."), model_cfg=model_cfg, dataset_cfg=dataset_cfg)
    module = TrainModule(TrainSchema(), ctx)
    batch = next(iter(module.train_dataloader()))
    module.to("meta")
    on_meta = [t.to("meta") for t in batch] if isinstance(batch, tuple) else batch.to("meta")
    loss, extras = module.recipe.loss(on_meta)
    assert loss.device.type == "meta" and all(v.device.type == "meta" for v in extras.values())
    loss.backward()
    assert all(p.grad is None or p.grad.device.type == "meta" for p in module.parameters())
