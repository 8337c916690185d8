import csv
import json
from pathlib import Path

import pytest

from subnetlab.lifecycle.runner import run
from subnetlab.methods.decomposition.schedules import lr_at
from subnetlab.methods.spd.init_candidates import candidate_step
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


def test_candidate_step_is_the_fraction_of_the_run_before_its_end() -> None:
    assert candidate_step(11_000, 2, 0.3) == 3300
    assert candidate_step(30, 3, 0.3) == 9
    assert candidate_step(10, 2, 0.99) == 9  # never at the last step
    assert candidate_step(10, 2, 0.01) == 1
    assert candidate_step(11_000, 1, 0.3) is None  # one candidate: nothing to choose
    assert candidate_step(1, 2, 0.3) is None


@pytest.mark.parametrize(("seed", "chosen"), [(0, 1), (2, 0)])
def test_initialisation_candidates_continue_the_lowest_loss_and_keep_the_paper_run_otherwise(
    composed, tmp_path: Path, seed: int, chosen: int
) -> None:
    quick = [*QUICK_TMS, "logger=none", "method.faithfulness_warmup_steps=20", f"seed={seed}"]
    single = run(composed([*quick, "method.init_candidates=1"]), tmp_path / "single")
    multi = run(composed([*quick, "method.init_candidates=3"]), tmp_path / "multi")
    assert single.status == multi.status == "ok", (single.error, multi.error)
    choice = json.loads((tmp_path / "multi" / "feature_trajectory.json").read_text())
    record = choice["init_candidates"]
    assert record["step"] == 9 and record["seeds"] == [seed + k * 1_000_003 for k in range(3)]
    assert record["chosen"] == chosen == min(range(3), key=record["losses"].__getitem__)
    assert multi.metrics["init_candidates/chosen"] == record["chosen"]
    assert "init_candidates/chosen" not in single.metrics
    # candidate 0 is the single run's own initialisation: continued, the run is the same run;
    # another candidate continued gives another decomposition
    same = all(
        multi.metrics[key] == single.metrics[key]
        for key in ("loss/faithfulness", "loss/stochastic_recon", "loss/importance_minimality")
    )
    assert same == (record["chosen"] == 0)
