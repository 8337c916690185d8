"""The circuit drawn on the network's layout, and the tau-sweep figure."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.collections import LineCollection

from subnetlab.methods.circuit.edge_graph import EdgeGraph
from subnetlab.methods.circuit.plots import draw_circuit, draw_sweep, node_xy
from subnetlab.models.mlp import MLP


def test_nodes_follow_the_moved_inputs_and_outputs():
    model = MLP([3, 4, 2])
    model.in_perm.copy_(torch.tensor([2, 0, 1]))  # slot 0 holds x2, slot 1 x0, slot 2 x1
    model.out_perm.copy_(torch.tensor([1, 0]))
    xy = node_xy(model, [3, 4, 2])
    slots_in = model.positions(0)[:, 0].numpy()
    assert np.allclose(xy[0][:, 0], slots_in[[1, 2, 0]])  # x0 at slot 1, x1 at 2, x2 at 0
    assert np.allclose(xy[2][:, 0], model.positions(2)[[1, 0], 0].numpy())
    assert np.allclose(xy[1][:, 1], 1.0)


def test_kept_edges_are_drawn_in_colour():
    torch.manual_seed(0)
    model = MLP([3, 4, 2])
    net = model.to_layered_net(task_order=True)
    mask = EdgeGraph((3, 4, 2)).empty_mask()
    mask[0][1, 2] = True
    mask[1][0, 1] = True
    figure = draw_circuit(model, net.weights, mask, title="two edges")
    removed, kept = [c for c in figure.axes[0].collections if isinstance(c, LineCollection)]
    assert len(kept.get_segments()) == 2 and len(removed.get_segments()) == 12 + 8 - 2
    # edge x2 -> h1 runs from input 2's node to hidden 1's node
    xy = node_xy(model, [3, 4, 2])
    assert np.allclose(kept.get_segments()[0], [xy[0][2], xy[1][1]])
    assert figure.axes[0].get_title() == "two edges"


def test_sweep_figure_has_a_roc_panel_when_scored():
    rows = [
        {"tau": 0.0, "edges_kept": 10, "faithfulness": 0.0, "node_tpr": 1.0, "node_fpr": 0.5},
        {"tau": 0.1, "edges_kept": 4, "faithfulness": 0.2, "node_tpr": 1.0, "node_fpr": 0.0},
    ]
    assert len(draw_sweep(rows).axes) == 3  # edges + twin faithfulness axis + ROC
    unscored = [{k: v for k, v in r.items() if not k.startswith("node")} for r in rows]
    assert len(draw_sweep(unscored).axes) == 2
