"""``python run.py [GROUP=OPTION ...] --help``: every knob of the selected options from the
schemas, the options of every group, without importing torch or Lightning."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from subnetlab.cli.help import knob_help, wants_knob_help
from subnetlab.schemas.bimt import BimtSchema
from subnetlab.schemas.describe import schema_fields
from tests.conftest import CONF, REPO, run_cli


def _row(lines: list[str], key: str) -> str:
    rows = [line for line in lines if line.split()[:1] == [key]]
    assert len(rows) == 1, key
    return rows[0]


def test_flags_that_ask_for_the_listing() -> None:
    assert wants_knob_help(["method=spd", "--help"]) and wants_knob_help(["-h"])
    assert not wants_knob_help(["--hydra-help"]) and not wants_knob_help(["--cfg", "job"])


def test_every_knob_of_the_selected_method_with_type_value_and_help() -> None:
    lines, code = knob_help(["method=bimt", "model=mlp", "dataset=two_moons"], CONF)
    assert code == 0
    for name, info in schema_fields(BimtSchema).items():
        if name != "cost":  # a nested schema: one row per field
            assert info.description in _row(lines, f"method.{name}")
    assert "  float ≥ 0  " in _row(lines, "method.cost.layer_gap")
    assert "  0.1  " in _row(lines, "method.cost.layer_gap")
    assert "vanilla|l1|l1_local|l1_swap|bimt" in _row(lines, "method.train_type")
    assert "int ≥ 1 | null" in _row(lines, "method.batch_size")
    assert "  0.1  " in _row(lines, "dataset.noise")
    assert "seed" in " ".join(lines) and "target.ckpt" in " ".join(lines)


def test_values_show_the_selection_and_mark_what_differs_from_the_schema() -> None:
    lines, _ = knob_help(["model=tms_40_10_id", "model.recipe.lr=0.01", "--help"], CONF)
    assert "  40*  " in _row(lines, "model.n_features")
    assert "  1*  " in _row(lines, "model.n_hidden_layers")
    assert "  0.01*  " in _row(lines, "model.recipe.lr")
    assert "  10000  " in _row(lines, "model.recipe.steps")
    end = next(i for i, line in enumerate(lines) if line.startswith("Knobs of the selected"))
    listing = " ".join(lines[:end])
    assert "tms_40_10_id*," in listing and "tms_5_2_id," in listing and " tms," in listing


def test_sweeps_and_hydra_flags_do_not_get_in_the_way() -> None:
    lines, code = knob_help(["-m", "seed=0,1", "experiment=spd_tms_5_2", "--help"], CONF)
    assert code == 0
    assert "  40000*  " in _row(lines, "method.steps")


def test_an_unknown_option_is_one_line_plus_the_options() -> None:
    lines, code = knob_help(["method=spx", "--help"], CONF)
    assert code == 2
    assert lines[0].startswith("error:") and "method/spx" in lines[0]
    assert any(line.split()[:2] == ["method", "apd,"] for line in lines)


def test_run_py_help_imports_no_lightning_and_no_method() -> None:
    # model files hold their own schema beside the network, so the listing imports torch (to
    # read them), but neither Lightning nor any method: it stays about two seconds
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", str(REPO / "run.py"), "method=gw", "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "method.probe_size" in proc.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()}
    assert not {m for m in imported if m.split(".")[0] in ("lightning", "pytorch_lightning")}
    assert not {m for m in imported if m.startswith("subnetlab.methods")}


@pytest.mark.parametrize("group", ["method=apd", "model=transformer"])
def test_hydra_cfg_job_shows_the_schema_defaults(group: str, tmp_path) -> None:
    proc = run_cli(["--cfg", "job", group], tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    expected = "steps: 5000" if group == "method=apd" else "d_model: 64"
    assert expected in proc.stdout
