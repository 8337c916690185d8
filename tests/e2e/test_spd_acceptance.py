"""Paper-level acceptance: the bare default `python run.py` (SPD on TMS 5-2) recovers the five
mechanisms (issue criteria: MMCS ≥ 0.99, ML2R in [0.95, 1.05], target-solution error 0,
CI-L0 of linear1 in [0.15, 0.40])."""

from pathlib import Path

import pytest

from subnetlab.lifecycle.outputs import read_metrics
from tests.conftest import run_cli


@pytest.mark.slow
def test_default_run_recovers_the_tms_5_2_mechanisms(tmp_path: Path) -> None:
    proc = run_cli([f"paths.output_dir={tmp_path}"], tmp_path, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run_dir,) = (tmp_path / "runs").iterdir()
    metrics = read_metrics(run_dir)
    assert metrics is not None and metrics["status"] == "ok"
    summary = {k: metrics[k] for k in ("mmcs", "ml2r", "target_solution_error", "ci_l0/linear1")}
    print(f"default run: {summary}, wall {metrics['wall_time_s']} s")
    assert metrics["mmcs"] >= 0.99, summary
    assert 0.95 <= metrics["ml2r"] <= 1.05, summary
    assert metrics["target_solution_error"] == 0, summary
    assert 0.15 <= metrics["ci_l0/linear1"] <= 0.40, summary
