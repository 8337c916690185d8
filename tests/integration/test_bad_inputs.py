"""Bad input fails before any work with a message naming the key, the value and what is allowed."""

import json
import subprocess
from pathlib import Path

import pytest

from subnetlab.lifecycle.runner import run
from subnetlab.lifecycle.targets import TargetError, save_target
from subnetlab.models.tms import TMS
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.models import TMSSchema
from tests.conftest import compose_raw, run_cli


@pytest.mark.parametrize(
    ("override", "key", "allowed"),
    [
        ("+method.lrr=0.1", "method.lrr", "only the keys"),
        ("+bogus=1", "bogus", "only the keys"),
        ("method.lr=abc", "method.lr", "a number"),
        ("method.lr=-1", "method.lr", "a number > 0"),
        ("method.modules=[{pattern:'*',C:0}]", "method.modules[0].C", "an integer ≥ 1"),
        ("method.coeffs.importance_minimality=-0.1", "method.coeffs.importance_minimality", "≥ 0"),
        (
            "dataset.feature_probability=1.5",
            "dataset.feature_probability",
            "a number in [0, 1]",
        ),
        ("method.lr_schedule=cosinus", "method.lr_schedule", "one of 'constant'"),
        ("seed=-3", "seed", "an integer in [0, 4294967295]"),
        ("seed=4294967296", "seed", "an integer in [0, 4294967295]"),
        ("seed=1.5", "seed", "an integer in [0, 4294967295]"),
        ("target.seed=-1", "target.seed", "an integer in [0, 4294967295]"),
        ("method.lr=inf", "method.lr", "a finite number > 0"),
        ("method.lr=nan", "method.lr", "a finite number > 0"),
        ("method.coeffs.faithfulness=inf", "method.coeffs.faithfulness", "a finite number ≥ 0"),
        ("dataset.value_high=inf", "dataset.value_high", "a finite number"),
        ("method.steps='100'", "method.steps", "an integer ≥ 1"),
        ("method.batched_passes=1", "method.batched_passes", "true or false"),
        ("model.n_features=1", "model.n_features", "≥ 2"),
        ("method.modules=[{pattern:'nothing*',C:4}]", "method.modules", "patterns matching"),
    ],
)
def test_config_errors_name_key_value_and_allowed(
    override: str, key: str, allowed: str, tmp_path: Path
) -> None:
    raw = compose_raw([override, "model.recipe.steps=400", "model.recipe.n_candidates=4"], tmp_path)
    with pytest.raises(ConfigError) as info:
        run(raw, tmp_path / "run")
    assert info.value.key == key
    assert allowed in str(info.value)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_cli([*args, f"paths.output_dir={cwd}"], cwd, timeout=120)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("method.lr=abc", "method.lr='abc': allowed a number > 0"),
        ("method.coeffs.faithfulness=inf", "method.coeffs.faithfulness=inf: allowed a finite"),
        ("seed=4294967296", "seed=4294967296: allowed an integer in [0, 4294967295]"),
    ],
)
def test_cli_config_error_exits_nonzero_without_traceback(
    override: str, message: str, tmp_path: Path
) -> None:
    proc = _cli(override, cwd=tmp_path)
    assert proc.returncode == 2
    errors = [line for line in proc.stdout.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not (tmp_path / "targets").exists()  # nothing was trained
    # every run folder has a status: the one Hydra made records the error
    (run_dir,) = (tmp_path / "runs").iterdir()
    record = json.loads((run_dir / "metrics.json").read_text())
    assert record["status"] == "failed" and message in record["error"]


def test_cli_unknown_option_lists_the_available_ones(tmp_path: Path) -> None:
    proc = _cli("method=spx", cwd=tmp_path)
    assert proc.returncode == 2
    assert "method=spx: no such option; did you mean method=spd?" in proc.stderr
    assert "(options: apd, bimt, circuit, finetune, gw, spd, train)" in proc.stderr


@pytest.mark.parametrize(
    ("override", "suggestion"),
    [
        ("method.lrr=0.1", "method.lrr=0.1: no such key; did you mean method.lr?"),
        ("+method.lrr=0.1", "method.lrr=0.1: allowed only the keys"),
        ("model=TMS", "model=TMS: no such option; did you mean model=tms?"),
        ("method=SPD", "method=SPD: no such option; did you mean method=spd"),
        ("experiment=spd_tms52", "did you mean experiment=spd_tms_5_2,"),
    ],
)
def test_cli_typo_gets_one_line_with_the_closest_names(
    override: str, suggestion: str, tmp_path: Path
) -> None:
    proc = _cli(override, cwd=tmp_path)
    assert proc.returncode == 2
    output = proc.stdout + proc.stderr
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and suggestion in errors[0], output
    assert "did you mean" in errors[0]
    # never Hydra's "+key" advice (the run's first line echoes the command's own overrides)
    assert "+method" not in errors[0] and "To append" not in output and "Traceback" not in output


def test_cli_missing_checkpoint(tmp_path: Path) -> None:
    proc = _cli(f"target.ckpt={tmp_path}/missing", cwd=tmp_path)
    assert proc.returncode == 2
    assert "no such file" in proc.stdout


def test_corrupt_and_mismatched_checkpoints_fail_the_run_clearly(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x00garbage")
    raw = compose_raw([f"target.ckpt={bad}"], tmp_path)
    with pytest.raises(TargetError, match="is not a file written by torch.save"):
        run(raw, tmp_path / "run1")
    save_target(tmp_path / "t40.pt", TMS(40, 10), TMSSchema(n_features=40, n_hidden=10), {})
    raw = compose_raw([f"target.ckpt={tmp_path / 't40.pt'}"], tmp_path)
    with pytest.raises(TargetError, match="n_features: checkpoint 40 vs config 5"):
        run(raw, tmp_path / "run2")
