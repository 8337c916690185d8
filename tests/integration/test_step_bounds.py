"""`trainer.max_steps=N` and `debug=fast` bound the training of every method that trains: the
checkpoint written at the end holds exactly that many optimiser steps."""

from pathlib import Path

import pytest
import torch

from subnetlab.lifecycle.runner import run
from tests.conftest import QUIET_RUN, compose_raw

# each method that trains, on a setting where it runs in seconds
TRAINING = {
    "spd": ["method=spd", "model=tms", "model.recipe.steps=200", "method.eval_every=1000"],
    "apd": ["method=apd", "model=tms", "model.recipe.steps=200", "method.eval_every=1000"],
    "bimt": ["experiment=bimt_independence"],
    "train": ["method=train", "model=tms"],
}


def _steps(run_dir: Path) -> int:
    checkpoint = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)
    return int(checkpoint["global_step"])


@pytest.mark.parametrize("method", list(TRAINING))
def test_trainer_max_steps_bounds_the_training(method: str, tmp_path: Path) -> None:
    raw = compose_raw([*TRAINING[method], "trainer.max_steps=7", *QUIET_RUN], tmp_path)
    result = run(raw, tmp_path / "run")
    assert result.status == "ok", result.error
    assert _steps(tmp_path / "run") == 7


@pytest.mark.parametrize("method", list(TRAINING))
def test_debug_fast_bounds_the_training(method: str, tmp_path: Path) -> None:
    raw = compose_raw([*TRAINING[method], "debug=fast", *QUIET_RUN], tmp_path)
    result = run(raw, tmp_path / "run")
    assert result.status == "ok", result.error
    assert _steps(tmp_path / "run") == 20  # trainer=debug: max_steps 20
