"""Structure of a trained network's weight graph: sparsity, live neurons, modules.

The graph has one node per neuron (inputs, hidden, outputs) and an edge for every weight whose
magnitude exceeds a fraction of the largest |weight| in the network. All counts are invariant to
neuron order, so they can be taken in either the task or the internal order.
"""

from __future__ import annotations

import torch
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components as scipy_components

from subnetlab.models.layered import LayeredNet

REPORTED_FRACTIONS: dict[str, float] = {"1pct": 0.01, "5pct": 0.05, "10pct": 0.10}


def edge_masks(net: LayeredNet, fraction: float) -> list[torch.Tensor]:
    """Per layer, which weights exceed ``fraction`` of the largest |weight|: bool (d_out, d_in)."""
    if not 0 <= fraction < 1:
        raise ValueError(f"fraction={fraction} must be in [0, 1)")
    largest = max(float(w.abs().max()) for w in net.weights)
    return [w.abs() > fraction * largest for w in net.weights]


def edges_above(net: LayeredNet, fraction: float) -> int:
    """Number of weights with |w| > fraction * max|w|."""
    return int(sum(int(mask.sum()) for mask in edge_masks(net, fraction)))


def alive_neurons(net: LayeredNet, fraction: float = 0.05) -> int:
    """Hidden neurons with at least one kept incoming and one kept outgoing edge."""
    masks = edge_masks(net, fraction)
    return int(
        sum(int((masks[i].any(1) & masks[i + 1].any(0)).sum()) for i in range(len(masks) - 1))
    )


def connected_components(net: LayeredNet, fraction: float = 0.05) -> int:
    """Connected components of the kept-edge graph, counting only neurons with an edge."""
    masks = edge_masks(net, fraction)
    offsets = [0]
    for width in net.widths:
        offsets.append(offsets[-1] + width)
    rows, cols = [], []
    for i, mask in enumerate(masks):
        out_idx, in_idx = mask.nonzero(as_tuple=True)
        rows.append(out_idx + offsets[i + 1])
        cols.append(in_idx + offsets[i])
    row = torch.cat(rows).cpu().numpy()
    col = torch.cat(cols).cpu().numpy()
    if row.size == 0:
        return 0
    n = offsets[-1]
    graph = coo_matrix(([1] * row.size, (row, col)), shape=(n, n))
    _, labels = scipy_components(graph, directed=False)
    touched = set(row.tolist()) | set(col.tolist())
    return len({int(labels[node]) for node in touched})


def output_subcircuits(net: LayeredNet, fraction: float = 0.05) -> list[list[torch.Tensor]]:
    """For each output, the hidden neurons with a kept path to it.

    Returns, per output, one bool tensor per hidden layer (width,).
    """
    masks = edge_masks(net, fraction)
    n_out = net.widths[-1]
    circuits = []
    for output in range(n_out):
        reach = torch.zeros(n_out, dtype=torch.bool, device=masks[-1].device)
        reach[output] = True
        per_layer = []
        for mask in reversed(masks[1:]):
            reach = (mask & reach.unsqueeze(1)).any(0)
            per_layer.append(reach)
        circuits.append(list(reversed(per_layer)))
    return circuits


def shared_hidden_neurons(net: LayeredNet, fraction: float = 0.05) -> int:
    """Hidden neurons that belong to the sub-circuits of two or more outputs."""
    circuits = output_subcircuits(net, fraction)
    shared = 0
    for layer in range(len(net.widths) - 2):
        membership = torch.stack([circuit[layer] for circuit in circuits]).sum(0)
        shared += int((membership >= 2).sum())
    return shared


def structure_metrics(net: LayeredNet, with_shared: bool) -> dict[str, float]:
    """Edges above 1/5/10 %, alive neurons and components (at 5 %), shared hidden neurons."""
    out: dict[str, float] = {
        f"edges_above_{name}": float(edges_above(net, frac))
        for name, frac in REPORTED_FRACTIONS.items()
    }
    out["total_edges"] = float(sum(w.numel() for w in net.weights))
    out["alive_neurons"] = float(alive_neurons(net))
    out["connected_components"] = float(connected_components(net))
    if with_shared:
        out["shared_hidden_neurons"] = float(shared_hidden_neurons(net))
    return out
