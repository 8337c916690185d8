"""The fit's progress through the real runner: output that is not a terminal gets plain lines
with the step, rate, ETA and the method's loss, on the console and in run.log."""

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from subnetlab.callbacks.progress import short_metric_name
from subnetlab.lifecycle.runner import run
from subnetlab.utils.progress import ProgressSettings, configure, settings
from tests.conftest import QUICK_TMS


@pytest.fixture(autouse=True)
def _default_settings():
    before = settings()
    yield
    configure(before.console, before.every_s)


def test_loss_names_lose_their_train_prefix_and_total_suffix() -> None:
    assert short_metric_name("train/loss/total") == "loss"
    assert short_metric_name("train/loss") == "loss"
    assert short_metric_name("train/lambda") == "lambda"


def test_an_spd_run_reports_each_step_with_rate_eta_and_loss(
    composed: Callable[[list[str]], dict[str, Any]],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    overrides = [o for o in QUICK_TMS if not o.startswith("trainer.progress_bar")]
    raw = composed([*overrides, "logger=none", "trainer.progress_every_s=0"])
    configure(console=False, every_s=7.0)
    with caplog.at_level(logging.INFO, logger="subnetlab"):
        result = run(raw, tmp_path / "run")
    assert result.status == "ok"
    assert settings() == ProgressSettings(console=False, every_s=7.0)  # restored after the run
    lines = [r.getMessage() for r in caplog.records if r.name == "subnetlab"]
    spd = [line for line in lines if line.startswith("spd on tms: ")]
    assert spd[0] == "spd on tms: 30 steps to do"
    assert any(line.startswith("spd on tms: 10/30 steps (33%), ") for line in spd)
    # the loss is logged every trainer.log_every_n_steps=5 steps, so it is known from step 5 on
    late = [line for line in spd if line.startswith("spd on tms: 20/30 steps")]
    assert late and "steps/s" in late[0] and "ETA " in late[0] and ", loss " in late[0]
    assert spd[-1].startswith("spd on tms: 30/30 steps in ") and ", loss " in spd[-1]
    # the target trained on the fly reports its own fit the same way
    assert any(line == "train on tms: 300 steps to do" for line in lines)
    spd_records = [r for r in caplog.records if r.getMessage().startswith("spd on tms: ")]
    assert not any(getattr(r, "file_only", False) for r in spd_records)  # on the console too
