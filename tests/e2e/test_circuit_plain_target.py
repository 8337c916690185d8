"""Issue 12's acceptance through the real CLI: a user's [6, 8, 8, 2] ReLU net with a planted
circuit, saved as a plain nn.Sequential state dict, its inputs as a tensor file and the true
edges as a .pt file, runs through ``method=circuit`` and reports edge and hidden-node recovery."""

import json
from pathlib import Path

import pytest

from subnetlab.methods.circuit.analysis import find_circuit
from subnetlab.schemas.circuit import CircuitSchema
from tests.conftest import run_cli
from tests.unit.methods.circuit.test_analysis import planted_sequential, save_planted_files


def test_cli_circuit_on_a_plain_state_dict(tmp_path: Path) -> None:
    files = save_planted_files(tmp_path)
    overrides = [
        "method=circuit",
        "model=mlp",
        "model.widths=[6,8,8,2]",
        "model.activation=relu",
        f"target.ckpt={files['weights']}",
        "dataset=tensors",
        f"dataset.path={files['inputs']}",
        f"method.truth_file={files['truth']}",
        "method.tau_sweep=[0.001,0.01,0.1]",
        "logger=none",
        "trainer.progress_bar=false",
        f"paths.output_dir={tmp_path}",
    ]
    proc = run_cli(overrides, tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run_dir,) = (tmp_path / "runs").iterdir()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["status"] == "ok" and metrics["method"] == "circuit"
    # the same circuit the Python API finds on the first probe_size = 100 inputs
    model, inputs, truth = planted_sequential()
    cfg = CircuitSchema(tau_sweep=[0.001, 0.01, 0.1])
    expected = find_circuit(model, inputs[:100], cfg, truth_edges=truth).metrics
    for name in (
        "edges_kept",
        "edge_tpr",
        "edge_fpr",
        "node_tpr",
        "node_fpr",
        "edge_auc",
        "hidden_node_tpr",
        "hidden_node_fpr",
        "input_node_tpr",
        "dangling_nodes",
    ):
        assert metrics[name] == pytest.approx(expected[name], abs=1e-6), name
    assert metrics["edge_tpr"] > metrics["edge_fpr"]
    assert (run_dir / "circuit_mask.pt").is_file() and (
        run_dir / "figures" / "circuit.png"
    ).is_file()
