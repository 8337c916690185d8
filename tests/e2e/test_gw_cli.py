"""``method=gw`` through the real CLI: a tiny transformer (target trained on the fly), the
planted-families model and its experiment."""

import json
from pathlib import Path

from tests.conftest import run_cli, tiny_transformer


def _one_run(overrides: list[str], tmp_path: Path) -> tuple[Path, dict]:
    """Run the CLI into ``tmp_path``; the one run folder and its metrics."""
    proc = run_cli([*overrides, f"paths.output_dir={tmp_path}"], tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run_dir,) = (tmp_path / "runs").iterdir()
    return run_dir, json.loads((run_dir / "metrics.json").read_text())


def test_cli_gw_on_a_tiny_transformer(tmp_path: Path) -> None:
    overrides = [
        "method=gw",
        "model=transformer",
        *tiny_transformer(n_layers=4, train_steps=30),
        "method.probe_size=40",
        "trainer.progress_bar=false",
    ]
    run_dir, metrics = _one_run(overrides, tmp_path)
    groups = json.loads((run_dir / "groups.json").read_text())
    assert metrics["status"] == "ok" and metrics["model"] == "transformer"
    assert metrics["n_layers"] == 4.0 and metrics["n_groups"] == groups["n_groups"] >= 1
    assert metrics["solver_time_s"] > 0.0
    assert groups["layers"] == ["blocks.0", "blocks.1", "blocks.2", "blocks.3"]
    assert {p.stem for p in (run_dir / "figures").glob("*.png")} == {"layer_matrices", "dendrogram"}
    assert len(list((tmp_path / "targets").glob("*/target.pt"))) == 1


def test_cli_gw_planted_recovers_the_planted_families(tmp_path: Path) -> None:
    run_dir, metrics = _one_run(["experiment=gw_planted", "logger=none"], tmp_path)
    assert metrics["status"] == "ok" and metrics["model"] == "planted_families"
    assert metrics["ari"] == 1.0 and metrics["n_groups"] == metrics["planted_groups"] == 3.0
    # the numbers study=gw_planted measured on seed 0 before the model family existed
    assert metrics["gw_within_max"] == 1.7312018764314985e-05
    assert metrics["gw_between_min"] == 0.00018943688520292286
    assert json.loads((run_dir / "target.json").read_text())["source"] == "config"


def test_cli_gw_on_planted_families_scores_the_ari(tmp_path: Path) -> None:
    overrides = [
        "method=gw",
        "model=planted_families",
        "model.family_sizes=[3,3,2]",
        "method.probe_size=100",
        "logger=none",
    ]
    run_dir, metrics = _one_run(overrides, tmp_path)
    assert metrics["status"] == "ok" and metrics["model"] == "planted_families"
    assert metrics["ari"] == 1.0 and metrics["n_groups"] == metrics["planted_groups"] == 3.0
    planted = json.loads((run_dir / "planted.json").read_text())
    assert planted["families"] == [0, 0, 0, 1, 1, 1, 2, 2]


def test_cli_refuses_bad_planted_settings_in_one_line(tmp_path: Path) -> None:
    overrides = ["method=gw", "model=planted_families", "model.n_families=0", "logger=none"]
    proc = run_cli([*overrides, f"paths.output_dir={tmp_path}"], tmp_path)
    assert proc.returncode != 0
    errors = [line for line in (proc.stdout + proc.stderr).splitlines() if "error" in line]
    assert errors == ["error: invalid config value model.n_families=0: allowed an integer ≥ 1"]
    # the run folder holds the refusal only
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert json.loads((run_dir / "metrics.json").read_text())["status"] == "failed"
    assert not (run_dir / "target.json").exists()
