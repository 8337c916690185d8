"""Pictures of a discovered circuit: drawn on the network's neuron layout, and its tau sweep."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from subnetlab.models.mlp import MLP

from .edge_graph import EdgeGraph, EdgeMask

KEPT_POSITIVE = "tab:blue"
KEPT_NEGATIVE = "tab:red"
REMOVED = "0.85"


def _slot_xy(model: MLP, layer: int) -> np.ndarray:
    """(units, 2) drawing coordinates of a layer's slots (2-D layers in oblique projection)."""
    pos = model.positions(layer).detach().cpu().double().numpy()
    if pos.shape[1] == 1:
        return np.stack([pos[:, 0], np.full(len(pos), float(layer))], axis=1)
    return np.stack([pos[:, 0] + 0.3 * pos[:, 1], layer + 0.6 * pos[:, 1]], axis=1)


def node_xy(model: MLP, widths: Sequence[int]) -> list[np.ndarray]:
    """Per node layer of ``model.to_layered_net()``, (width, 2) coordinates of its nodes.

    Inputs and outputs sit at the slots BIMT moved them to; one-hot token inputs (embedding
    models) are spread evenly over the input row.
    """
    coords = [_slot_xy(model, layer) for layer in range(model.n_layers + 1)]
    if model.embedding is None:
        slots = torch.argsort(model.in_perm).numpy() % model.unit_counts[0]
        coords[0] = coords[0][slots]
    else:
        lo, hi = coords[0][:, 0].min(), coords[0][:, 0].max()
        coords[0] = np.stack([np.linspace(lo, hi, widths[0]), np.zeros(widths[0])], axis=1)
    coords[-1] = coords[-1][torch.argsort(model.out_perm).numpy()]
    return coords


def draw_circuit(
    model: MLP, weights: Sequence[torch.Tensor], mask: EdgeMask, title: str | None = None
) -> Figure:
    """Kept edges coloured by sign (width ∝ |w| / max|w|) over the removed ones in grey.

    Args:
        weights: the layered net's (d_out, d_in) weights in task order; mask: its circuit.
    """
    widths = [weights[0].shape[1]] + [w.shape[0] for w in weights]
    graph = EdgeGraph(tuple(widths))
    graph.check_mask(mask)
    xy = node_xy(model, widths)
    largest = max(float(w.abs().max()) for w in weights) or 1.0
    figure = Figure(figsize=(6, 1.6 * (len(widths))))
    axes = figure.add_subplot()
    for kept in (False, True):
        segments, line_widths, colours = [], [], []
        for i, (w, m) in enumerate(zip(weights, mask, strict=True)):
            values = w.detach().cpu().double().numpy()
            chosen = m.numpy() if kept else (~m).numpy() & (np.abs(values) > 1e-3 * largest)
            receivers, sources = np.nonzero(chosen)
            segments.append(np.stack([xy[i][sources], xy[i + 1][receivers]], axis=1))
            strength = np.abs(values[receivers, sources]) / largest
            line_widths.append(0.3 + 2.5 * strength if kept else np.full(len(strength), 0.4))
            signs = values[receivers, sources] > 0
            colours += [(KEPT_POSITIVE if s else KEPT_NEGATIVE) if kept else REMOVED for s in signs]
        axes.add_collection(
            LineCollection(
                np.concatenate(segments), linewidths=np.concatenate(line_widths), colors=colours
            )
        )
    active = graph.active_nodes(mask)
    for layer, points in enumerate(xy):
        on = active[layer].numpy()
        axes.scatter(points[~on, 0], points[~on, 1], s=8, c=REMOVED, zorder=3)
        axes.scatter(points[on, 0], points[on, 1], s=14, c="black", zorder=4)
    if model.embedding is None and widths[0] <= 40:
        for j, (x, y) in enumerate(xy[0]):
            axes.annotate(
                f"x{j}",
                (x, y),
                xytext=(0, -10),
                textcoords="offset points",
                ha="center",
                fontsize=7,
            )
    if widths[-1] <= 40:
        for o, (x, y) in enumerate(xy[-1]):
            axes.annotate(
                f"y{o}", (x, y), xytext=(0, 5), textcoords="offset points", ha="center", fontsize=7
            )
    axes.autoscale()
    axes.set_axis_off()
    if title:
        axes.set_title(title)
    return figure


def draw_sweep(rows: Sequence[dict[str, float]]) -> Figure:
    """Edges kept and faithfulness against tau; the node ROC points when they exist."""
    taus = [r["tau"] for r in rows]
    with_roc = all("node_fpr" in r for r in rows)
    figure = Figure(figsize=(9 if with_roc else 5, 3.4))
    axes = figure.subplots(1, 2 if with_roc else 1, squeeze=False)[0]
    left = axes[0]
    left.plot(taus, [r["edges_kept"] for r in rows], "o-", color="tab:blue")
    left.set_xscale("symlog", linthresh=min([t for t in taus if t > 0], default=1e-6))
    left.set_xlabel("tau")
    left.set_ylabel("edges kept", color="tab:blue")
    right = left.twinx()
    right.plot(taus, [r["faithfulness"] for r in rows], "s--", color="tab:orange")
    right.set_ylabel("faithfulness (metric, lower = closer)", color="tab:orange")
    if with_roc:
        roc = axes[1]
        points = sorted([(0.0, 0.0), *((r["node_fpr"], r["node_tpr"]) for r in rows), (1.0, 1.0)])
        roc.plot([p[0] for p in points], [p[1] for p in points], "o-")
        roc.plot([0, 1], [0, 1], ":", color="0.6")
        roc.set_xlabel("node FPR")
        roc.set_ylabel("node TPR")
        roc.set_title("ROC over the tau sweep")
    figure.tight_layout()
    return figure
