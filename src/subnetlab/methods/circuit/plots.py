"""Pictures of a discovered circuit: drawn on the network's neuron layout, and its tau sweep."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from matplotlib.figure import Figure

from subnetlab.analysis.mlp_plots import draw_network
from subnetlab.models.mlp import MLP

from .edge_graph import EdgeGraph, EdgeMask


def mask_in_slot_order(model: MLP, mask: EdgeMask) -> EdgeMask:
    """A circuit of :func:`~.target.circuit_net` (task-order inputs and outputs) as masks of
    ``model.linears`` (the slots BIMT moved inputs and outputs to)."""
    slot = [m.clone() for m in mask]
    if model.embedding is None:  # slot column k holds feature in_perm[k]
        slot[0] = slot[0][:, model.in_perm]
    slot[-1] = slot[-1][model.out_perm]  # slot row k holds class out_perm[k]
    return slot


def units_in_slot_order(model: MLP, active: list[torch.Tensor]) -> list[torch.Tensor]:
    """Per node layer of the circuit net, active nodes → active units of ``model``'s slots (a
    folded input slot is active when any of its columns is)."""
    columns = active[0][model.in_perm] if model.embedding is None else active[0]
    units = [columns.reshape(model.input_fold, -1).any(dim=0), *active[1:-1]]
    return [*units, active[-1][model.out_perm]]


def draw_circuit(
    model: MLP,
    weights: Sequence[torch.Tensor],
    mask: EdgeMask,
    title: str | None = None,
    output_names: list[str] | None = None,
) -> Figure:
    """The circuit on BIMT's drawing of ``model``: kept edges coloured by sign (width ∝
    |w| / max|w|) over the removed ones in grey, neurons off every input→output path in grey,
    with a legend of the colours.

    Args:
        weights: the circuit net's (d_out, d_in) weights in task order; mask: its circuit.
        output_names: the outputs' names (default ``y1 …``; e.g. class labels).
    """
    widths = [weights[0].shape[1]] + [w.shape[0] for w in weights]
    if widths != model.widths:
        raise ValueError(f"weights of widths {widths} are not those of the model {model.widths}")
    graph = EdgeGraph(tuple(widths))
    graph.check_mask(mask)
    return draw_network(
        model,
        title=title,
        edge_mask=mask_in_slot_order(model, mask),
        unit_mask=units_in_slot_order(model, graph.active_nodes(mask)),
        output_names=output_names,
    )


#: the ROC curves drawn, by the prefix of their rates in a sweep row (those the truth knows)
ROC_LEVELS = (
    ("edge", "edges"),
    ("input_node", "input neurons"),
    ("hidden_node", "hidden neurons"),
)


def draw_sweep(rows: Sequence[dict[str, float]]) -> Figure:
    """Edges kept and faithfulness against tau; ROC curves of the edges, input and hidden
    neurons the ground truth knows (when one exists)."""
    taus = [r["tau"] for r in rows]
    with_roc = all("node_fpr" in r for r in rows)
    figure = Figure(figsize=(10 if with_roc else 5.5, 3.8), layout="constrained")
    axes = figure.subplots(1, 2 if with_roc else 1, squeeze=False)[0]
    left = axes[0]
    (edges,) = left.plot(
        taus, [r["edges_kept"] for r in rows], "o-", color="tab:blue", label="edges kept"
    )
    left.set_xscale("symlog", linthresh=min([t for t in taus if t > 0], default=1e-6))
    left.set_xlabel("tau (threshold on an edge's effect)")
    left.set_ylabel("edges kept", color="tab:blue")
    right = left.twinx()
    (faithful,) = right.plot(
        taus,
        [r["faithfulness"] for r in rows],
        "s--",
        color="tab:orange",
        label="faithfulness (lower = closer)",
    )
    right.set_ylabel("faithfulness: metric to the full model\n(lower = closer)", color="tab:orange")
    left.legend(handles=[edges, faithful], fontsize=8, loc="center left")
    left.set_title("Circuit size and faithfulness over tau", fontsize=10)
    if with_roc:
        roc = axes[1]
        levels = [(lv, label) for lv, label in ROC_LEVELS if all(f"{lv}_fpr" in r for r in rows)]
        for level, label in levels or [("node", "neurons")]:
            pairs = ((r[f"{level}_fpr"], r[f"{level}_tpr"]) for r in rows)
            points = sorted([(0.0, 0.0), *pairs, (1.0, 1.0)])
            roc.plot([p[0] for p in points], [p[1] for p in points], "o-", label=label, alpha=0.8)
        roc.plot([0, 1], [0, 1], ":", color="0.6", label="chance")
        roc.set_xlabel("false-positive rate")
        roc.set_ylabel("true-positive rate")
        roc.set_title("Recovery of the true circuit over tau (ROC)", fontsize=10)
        roc.legend(fontsize=8, loc="lower right")
    return figure
