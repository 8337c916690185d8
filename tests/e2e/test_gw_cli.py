"""``method=gw`` through the real CLI: a tiny transformer (target trained on the fly) and the
planted-families experiment."""

import json
from pathlib import Path

from tests.conftest import run_cli, tiny_transformer


def test_cli_gw_on_a_tiny_transformer(tmp_path: Path) -> None:
    overrides = [
        "method=gw",
        "model=transformer",
        *tiny_transformer(n_layers=4, train_steps=30),
        "method.probe_size=40",
        "trainer.progress_bar=false",
        f"paths.output_dir={tmp_path}",
    ]
    proc = run_cli(overrides, tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run_dir,) = (tmp_path / "runs").iterdir()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    groups = json.loads((run_dir / "groups.json").read_text())
    assert metrics["status"] == "ok" and metrics["model"] == "transformer"
    assert metrics["n_layers"] == 4.0 and metrics["n_groups"] == groups["n_groups"] >= 1
    assert metrics["solver_time_s"] > 0.0
    assert groups["layers"] == ["blocks.0", "blocks.1", "blocks.2", "blocks.3"]
    assert {p.stem for p in (run_dir / "figures").glob("*.png")} == {"layer_matrices", "dendrogram"}
    assert len(list((tmp_path / "targets").glob("*/target.pt"))) == 1


def test_cli_gw_planted_recovers_the_planted_families(tmp_path: Path) -> None:
    overrides = ["experiment=gw_planted", "logger=none", f"paths.output_dir={tmp_path}"]
    proc = run_cli(overrides, tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run_dir,) = (tmp_path / "runs").iterdir()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["status"] == "ok" and metrics["ari"] == 1.0
    assert metrics["n_groups"] == metrics["planted_groups"] == 3.0
