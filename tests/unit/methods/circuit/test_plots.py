"""The circuit drawn on BIMT's picture of the network, and the tau-sweep figure."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.collections import LineCollection

from subnetlab.methods.circuit.edge_graph import EdgeGraph
from subnetlab.methods.circuit.plots import (
    draw_circuit,
    draw_sweep,
    mask_in_slot_order,
    units_in_slot_order,
)
from subnetlab.methods.circuit.target import circuit_net
from subnetlab.models.mlp import MLP


def _moved_model() -> MLP:
    torch.manual_seed(0)
    model = MLP([3, 4, 2])
    model.in_perm.copy_(torch.tensor([2, 0, 1]))  # slot 0 holds x2, slot 1 x0, slot 2 x1
    model.out_perm.copy_(torch.tensor([1, 0]))  # slot 0 holds y1
    return model


def _two_edges() -> list[torch.Tensor]:
    mask = EdgeGraph((3, 4, 2)).empty_mask()
    mask[0][1, 2] = True  # x2 -> h1
    mask[1][1, 1] = True  # h1 -> y1
    return mask


def test_masks_and_active_nodes_move_with_the_inputs_and_outputs():
    model = _moved_model()
    slot = mask_in_slot_order(model, _two_edges())
    assert slot[0].nonzero().tolist() == [[1, 0]]  # x2 sits in input slot 0
    assert slot[1].nonzero().tolist() == [[0, 1]]  # y1 sits in output slot 0
    # the slot-order mask picks the same weights of model.linears as the task-order one does
    net = circuit_net(model)
    for layer in range(2):
        task_w = net.weights[layer][_two_edges()[layer]]
        assert torch.equal(model.linears[layer].weight.detach()[slot[layer]], task_w)
    active = EdgeGraph((3, 4, 2)).active_nodes(_two_edges())
    units = units_in_slot_order(model, active)
    assert [u.tolist() for u in units] == [
        [True, False, False],
        [False, True, False, False],
        [True, False],
    ]


def test_kept_edges_are_drawn_in_colour_at_the_slots():
    model = _moved_model()
    net = circuit_net(model)
    figure = draw_circuit(model, net.weights, _two_edges(), title="two edges")
    removed, kept = [c for c in figure.axes[0].collections if isinstance(c, LineCollection)]
    assert len(kept.get_segments()) == 2 and len(removed.get_segments()) == 12 + 8 - 2
    assert np.allclose(removed.get_linewidths(), 0.4)
    # x2 -> h1 runs from input slot 0 (height 0) to hidden slot 1 (height 1)
    x_in, x_hidden = model.positions(0)[0, 0].item(), model.positions(1)[1, 0].item()
    assert np.allclose(kept.get_segments()[0], [[x_in, 0.0], [x_hidden, 1.0]])
    largest = max(float(w.abs().max()) for w in net.weights)
    strength = abs(float(net.weights[0][1, 2])) / largest
    assert kept.get_linewidths()[0] == pytest.approx(0.3 + 2.5 * strength)
    # active neurons black and larger, the rest grey: 3 of 9 neurons lie on the circuit
    dots = figure.axes[0].collections[2:]
    black = sum(len(c.get_offsets()) for c in dots if c.get_sizes()[0] == 14)
    assert black == 3 and sum(len(c.get_offsets()) for c in dots) == 9
    assert figure.axes[0].get_title() == "two edges"


def test_an_embedding_circuit_folds_its_input_columns_into_slots():
    torch.manual_seed(0)
    model = MLP([4, 3, 5], vocab_size=5, embed_dim=2)  # inputs: 2 tokens x 2 dims, 2 slots
    mask = EdgeGraph((4, 3, 5)).empty_mask()
    mask[0][0, 3] = True  # token 1's dim 1 -> h0
    mask[1][2, 0] = True
    active = EdgeGraph((4, 3, 5)).active_nodes(mask)
    assert units_in_slot_order(model, active)[0].tolist() == [False, True]
    net = circuit_net(model)
    figure = draw_circuit(model, net.weights, mask)
    kept = [c for c in figure.axes[0].collections if isinstance(c, LineCollection)][1]
    assert len(kept.get_segments()) == 2
    with pytest.raises(ValueError, match="widths"):
        draw_circuit(MLP([4, 3, 4]), net.weights, mask)


def test_sweep_figure_has_a_roc_panel_when_scored():
    rows = [
        {"tau": 0.0, "edges_kept": 10, "faithfulness": 0.0, "node_tpr": 1.0, "node_fpr": 0.5},
        {"tau": 0.1, "edges_kept": 4, "faithfulness": 0.2, "node_tpr": 1.0, "node_fpr": 0.0},
    ]
    assert len(draw_sweep(rows).axes) == 3  # edges + twin faithfulness axis + ROC
    assert [line.get_label() for line in draw_sweep(rows).axes[1].get_lines()] == [
        "neurons",
        "chance",
    ]
    levels = [
        {**r, "edge_tpr": 0.5, "edge_fpr": 0.1, "hidden_node_tpr": 1.0, "hidden_node_fpr": 0.0}
        for r in rows
    ]
    roc = draw_sweep(levels).axes[1]
    # one curve per level the truth knows (edges, hidden neurons), plus the chance line
    assert [line.get_label() for line in roc.get_lines()] == ["edges", "hidden neurons", "chance"]
    unscored = [{k: v for k, v in r.items() if not k.startswith("node")} for r in rows]
    assert len(draw_sweep(unscored).axes) == 2
