"""Acceptance (issue 5): `experiment=gw_seed_identification` at its defaults (three deep tanh
MLPs on the shipped digits) identifies every layer's counterpart across seeds by GW for at least
90 % of the layer queries."""

import json
from pathlib import Path

import pytest

from subnetlab.lifecycle.outputs import read_metrics
from tests.conftest import run_cli


@pytest.mark.slow
def test_gw_identifies_layers_across_seeds(tmp_path: Path) -> None:
    args = ["experiment=gw_seed_identification", f"paths.output_dir={tmp_path}"]
    proc = run_cli(args, tmp_path, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run_dir,) = (tmp_path / "runs").iterdir()
    metrics = read_metrics(run_dir)
    assert metrics is not None and metrics["status"] == "ok"
    accuracy = {k: v for k, v in metrics.items() if k.startswith("layer_id_accuracy/")}
    print(f"seed identification: {accuracy}, wall {metrics['wall_time_s']} s")
    assert metrics["seed_mean/test_accuracy"] >= 0.9, metrics  # well-trained models
    assert accuracy["layer_id_accuracy/gw"] >= 0.9, accuracy
    record = json.loads((run_dir / "seed_identification.json").read_text())
    assert record["layers"] == [f"hidden.{i}" for i in range(6)] and record["seeds"] == [0, 1, 2]
