"""``python run.py method=train model=attn_only`` trains the induction-head target: induction
predicts the repeated tokens, a previous-token head in layer 0 feeds induction heads in layer 1."""

import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import subnetlab
from subnetlab.analysis.induction_heads import (
    induction_positions,
    induction_scores,
    previous_token_scores,
)
from subnetlab.data.sequence_task import SequenceTask
from subnetlab.registry import build_dataset
from tests.conftest import run_cli


@pytest.mark.slow
def test_the_default_recipe_forms_induction_heads(tmp_path: Path) -> None:
    proc = run_cli(
        [
            "method=train",
            "model=attn_only",
            "trainer.progress_bar=false",
            f"paths.output_dir={tmp_path}",
        ],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run_dir,) = (tmp_path / "runs").iterdir()
    run = subnetlab.load_run(run_dir)
    assert run.metrics["status"] == "ok"
    task = build_dataset(run.run_config.dataset, SequenceTask)
    inputs, targets = task.split.x_test, task.split.y_test
    with torch.no_grad():
        logits = run.target(inputs)
    loss = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")
    correct = logits.argmax(-1) == targets
    where = induction_positions(inputs, targets)
    chance = math.log(task.vocab_size)
    summary = {
        "induction_loss": float(loss[where].mean()),
        "induction_accuracy": float(correct[where].float().mean()),
        "other_loss": float(loss[~where].mean()),
        "wall_time_s": run.metrics["wall_time_s"],
    }
    previous, induction = (
        previous_token_scores(run.target, inputs),
        induction_scores(run.target, inputs),
    )
    print(f"{summary}, previous-token scores {previous.tolist()}, induction {induction.tolist()}")
    assert summary["induction_loss"] < 0.05 * chance and summary["induction_accuracy"] > 0.99
    assert summary["other_loss"] > 0.95 * chance
    assert float(previous[0].max()) > 0.8 and float(previous[1].max()) < 0.2
    assert float(induction[1].min()) > 0.7 and float(induction[0].max()) < 0.1
