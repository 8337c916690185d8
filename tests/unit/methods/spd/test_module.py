import csv
from pathlib import Path

import pytest

from subnetlab.lifecycle.runner import run
from subnetlab.methods.decomposition.schedules import lr_at
from tests.conftest import QUICK_TMS


def test_training_scalars_are_logged_on_every_logging_step_with_that_steps_values(
    composed, tmp_path: Path
) -> None:
    overrides = [*QUICK_TMS, "logger=csv", "method.lr_schedule=linear", "method.lr=0.01"]
    result = run(composed(overrides), tmp_path / "run")
    assert result.status == "ok", result.error
    with (tmp_path / "run" / "csv" / "metrics.csv").open() as f:
        rows = [row for row in csv.DictReader(f) if row.get("train/loss/total")]
    # 30 steps, log_every_n_steps = 5: Lightning writes after steps 5, 10, ..., 30
    steps = [int(row["step"]) for row in rows]
    assert steps == [4, 9, 14, 19, 24, 29]
    # the linear lr tells which step a written value was computed at: the step written
    for step, row in zip(steps, rows, strict=True):
        assert float(row["train/lr"]) == pytest.approx(lr_at(step, 30, 0.01, "linear", 0))
        assert row["train/ci_l0/linear1"]


def test_a_pnorm_below_one_trains_with_finite_losses(composed, tmp_path: Path) -> None:
    # p < 1 made every loss NaN at step 1 (an infinite gradient of CI^p at CI = 0)
    result = run(composed([*QUICK_TMS, "method.pnorm=0.9", "logger=none"]), tmp_path / "run")
    assert result.status == "ok", result.error
    assert 0 < result.metrics["loss/importance_minimality"] < float("inf")
    assert result.metrics["loss/stochastic_recon"] < 0.1
