"""``experiment=circuit_planted`` through the real CLI: the target is built from its config, its
planted truth scores every level, and the distractors fool the magnitude baseline."""

import json
from pathlib import Path

from tests.conftest import run_cli

QUICK = ["logger=none", "trainer.progress_bar=false"]


def _metrics(tmp_path: Path, overrides: list[str]) -> dict:
    proc = run_cli(
        ["experiment=circuit_planted", *QUICK, f"paths.output_dir={tmp_path}", *overrides], tmp_path
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert json.loads((run_dir / "target.json").read_text())["source"] == "config"
    return json.loads((run_dir / "metrics.json").read_text())


def test_acdc_recovers_the_planted_circuit_at_its_default_tau(tmp_path: Path) -> None:
    metrics = _metrics(tmp_path, [])
    assert metrics["status"] == "ok" and metrics["model"] == "planted_circuit"
    assert metrics["hidden_node_tpr"] == 1.0 and metrics["hidden_node_fpr"] == 0.0
    assert metrics["input_node_tpr"] == 1.0 and metrics["input_node_fpr"] == 0.0
    assert metrics["edge_auc"] >= 0.95 and metrics["dangling_nodes"] == 0.0


def test_magnitude_keeps_the_constant_units(tmp_path: Path) -> None:
    metrics = _metrics(
        tmp_path, ["method.algorithm=magnitude", "method.tau=0.3", "method.tau_sweep=[]"]
    )
    # the constant units' full-scale weights survive a magnitude cut, though they carry nothing
    assert metrics["edge_fpr"] > 0.05 and metrics["dangling_nodes"] >= 1.0
