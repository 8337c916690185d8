"""find_circuit: a user's own layered network and tensors, scored against a planted circuit."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from subnetlab.methods.circuit.analysis import find_circuit, resolve_metric
from subnetlab.methods.circuit.edge_graph import EdgeGraph
from subnetlab.methods.circuit.planted import planted_circuit
from subnetlab.methods.errors import TargetCapabilityError
from subnetlab.models.mlp import MLP
from subnetlab.models.planted_circuit import plant_circuit
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.circuit import CircuitSchema


def planted_sequential(seed: int = 0) -> tuple[nn.Sequential, torch.Tensor, list[torch.Tensor]]:
    """A [6, 8, 8, 2] ReLU nn.Sequential with a planted circuit, its inputs and true edges."""
    planted = planted_circuit((6, 8, 8, 2), (2, 3, 3), activation="relu", seed=seed)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
    with torch.no_grad():
        for linear, w, b in zip(model[::2], planted.net.weights, planted.net.biases, strict=True):
            linear.weight.copy_(w)
            linear.bias.copy_(b)
    assert planted.truth.edges is not None
    return model, planted.inputs, planted.truth.edges


def save_planted_files(folder: Path) -> dict[str, Path]:
    """The planted [6, 8, 8, 2] net as a user would hand it over: a plain nn.Sequential state
    dict, its inputs and the true edges, each a .pt file."""
    model, inputs, truth = planted_sequential()
    files = {"weights": folder / "weights.pt", "inputs": folder / "inputs.pt"}
    files["truth"] = folder / "truth.pt"
    torch.save(model.state_dict(), files["weights"])
    torch.save(inputs, files["inputs"])
    torch.save(truth, files["truth"])
    return files


def test_magnitude_on_the_planted_net_finds_every_true_node_and_no_other():
    model, inputs, truth = planted_sequential()
    found = find_circuit(
        model, inputs, CircuitSchema(algorithm="magnitude", tau=0.2), truth_edges=truth
    )
    metrics = found.metrics
    # planted weights are 0.5-1.5 and leaks 0.02-0.03: every true edge is above 0.2 max|w|;
    # distractors keep large weights among themselves but reach no output
    assert metrics["edge_tpr"] == 1.0 and metrics["edge_fpr"] > 0
    assert metrics["node_tpr"] == 1.0 and metrics["node_fpr"] == 0.0
    weights = [layer.weight.detach().abs() for layer in model[::2]]
    largest = max(float(w.max()) for w in weights)
    assert metrics["edges_kept"] == sum(int((w >= 0.2 * largest).sum()) for w in weights)
    assert metrics["forward_passes"] == 0 and found.metric_name == "mse"


@pytest.mark.parametrize("algorithm", ["acdc", "eap_ig"])
def test_each_algorithm_reports_edge_and_node_recovery(algorithm):
    model, inputs, truth = planted_sequential()
    cfg = CircuitSchema(algorithm=algorithm, tau=0.01, tau_sweep=[0.0, 0.01, 100.0])
    found = find_circuit(model, inputs, cfg, truth_edges=truth)
    metrics = found.metrics
    for name in ("edge_tpr", "edge_fpr", "node_tpr", "node_fpr", "edge_auc", "node_auc"):
        assert 0.0 <= metrics[name] <= 1.0
    assert metrics["edge_tpr"] > metrics["edge_fpr"]  # better than chance on the planted net
    assert metrics["edge_auc"] > 0.75
    assert found.sweep[-1]["edges_kept"] == 0  # tau = 100 removes every edge


def test_a_sequential_and_the_same_weights_in_our_mlp_give_the_same_circuit():
    model, inputs, truth = planted_sequential(seed=3)
    mlp = MLP([6, 8, 8, 2], activation="relu")
    with torch.no_grad():
        for ours, theirs in zip(mlp.linears, model[::2], strict=True):
            ours.weight.copy_(theirs.weight)
            ours.bias.copy_(theirs.bias)
    cfg = CircuitSchema(tau=0.02)
    a = find_circuit(model, inputs, cfg, truth_edges=truth, seed=5)
    b = find_circuit(mlp, inputs, cfg, truth_edges=truth, seed=5)
    assert all(torch.equal(x, y) for x, y in zip(a.result.mask, b.result.mask, strict=True))
    assert a.metrics["faithfulness"] == b.metrics["faithfulness"]


def test_targets_add_the_task_score_and_pick_the_metric():
    model, inputs, _ = planted_sequential()
    labels = model(inputs).argmax(dim=-1)
    found = find_circuit(model, inputs, CircuitSchema(tau=0.001), targets=labels)
    assert found.metric_name == "kl" and found.metrics["full_task_accuracy"] == 1.0
    assert 0 <= found.metrics["task_accuracy"] <= 1
    assert resolve_metric("auto", None) == "mse" and resolve_metric("logit_diff", None) == (
        "logit_diff"
    )


def test_bad_networks_and_settings_are_refused():
    with pytest.raises(TargetCapabilityError, match="layered MLP"):
        find_circuit(
            nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1)), torch.ones(2, 2)
        )
    model, inputs, _ = planted_sequential()
    with pytest.raises(ConfigError, match="method.algorithm='eap': allowed eap_ig"):
        find_circuit(model, inputs, CircuitSchema(algorithm="eap"))


def test_a_gap_scaled_tau_keeps_the_module_of_a_small_output():
    # output 1 has a tenth of output 0's spread: in absolute units (pooled 1 - R²) its whole
    # module costs less than tau and is pruned; as a fraction of its own gap it is kept
    net = plant_circuit([8, 16, 16, 2], [2, 3, 3], activation="tanh", output_scales=[1.0, 0.1])
    inputs = torch.rand(200, 8, generator=torch.Generator().manual_seed(0)) * 2 - 1
    graph = EdgeGraph((8, 16, 16, 2))
    reached = {}
    for scale in ("gap", "absolute"):
        cfg = CircuitSchema(tau=0.01, metric="mse", tau_scale=scale)
        analysis = find_circuit(net, inputs, cfg, truth_edges=net.truth_edges)
        reached[scale] = [int(r[1].sum()) for r in graph.output_reach(analysis.result.mask)]
        tpr = analysis.metrics["hidden_node_tpr"]
        assert tpr == (1.0 if scale == "gap" else 0.5)
    assert reached == {"gap": [2, 3, 3, 1], "absolute": [0, 0, 0, 0]}
