import pytest
import torch

from subnetlab.methods.circuit.edge_graph import EdgeGraph
from subnetlab.models.layered import LayeredNet


def test_counts_and_shapes_of_a_2_3_1_net():
    graph = EdgeGraph((2, 3, 1))
    assert graph.layer_shapes == [(3, 2), (1, 3)]
    assert graph.num_edges == 9
    assert graph.num_nodes == 6
    assert graph.count_edges(graph.full_mask()) == 9
    assert graph.count_edges(graph.empty_mask()) == 0


def test_of_reads_widths_from_a_layered_net():
    net = LayeredNet([torch.zeros(3, 2), torch.zeros(1, 3)], [torch.zeros(3), torch.zeros(1)])
    assert EdgeGraph.of(net).widths == (2, 3, 1)


def test_flatten_order_matches_edge_index_and_unflatten_inverts_it():
    graph = EdgeGraph((2, 3, 1))
    per_layer = [torch.arange(6.0).reshape(3, 2), torch.arange(6.0, 9.0).reshape(1, 3)]
    flat = graph.flatten(per_layer)
    assert flat[graph.edge_index(0, 2, 1)] == per_layer[0][2, 1] == 5.0
    assert flat[graph.edge_index(1, 0, 2)] == per_layer[1][0, 2] == 8.0
    back = graph.unflatten(flat)
    assert all(torch.equal(a, b) for a, b in zip(back, per_layer, strict=True))


def test_receivers_come_outputs_first():
    assert list(EdgeGraph((2, 2, 1)).receivers_reverse_topological()) == [(2, 0), (1, 0), (1, 1)]


def test_output_reach_follows_kept_paths_only():
    graph = EdgeGraph((3, 2, 2))
    # input 0 -> hidden 0 -> output 0; input 1 -> hidden 1 (hidden 1 feeds nothing);
    # input 2 -> nothing; hidden 0 -> output 1 as well
    mask = [
        torch.tensor([[True, False, False], [False, True, False]]),
        torch.tensor([[True, False], [True, False]]),
    ]
    reach = graph.output_reach(mask)
    assert reach[0].tolist() == [[True, False, False], [True, False, False]]
    assert reach[1].tolist() == [[True, False], [True, False]]
    assert reach[2].tolist() == [[True, False], [False, True]]
    assert [a.tolist() for a in graph.active_nodes(mask)] == [
        [True, False, False],
        [True, False],
        [True, True],
    ]
    assert graph.count_nodes(mask) == 4


def test_an_output_cut_off_from_the_inputs_is_not_active():
    graph = EdgeGraph((1, 1, 1))
    mask = [torch.tensor([[False]]), torch.tensor([[True]])]
    assert graph.count_nodes(mask) == 0


def test_bad_masks_and_widths_are_rejected():
    graph = EdgeGraph((2, 3, 1))
    with pytest.raises(ValueError, match="mask layer 1 is torch.float32"):
        graph.check_mask([torch.ones(3, 2, dtype=torch.bool), torch.ones(1, 3)])
    with pytest.raises(ValueError, match="has 1 layers; this net has 2"):
        graph.check_mask([torch.ones(3, 2, dtype=torch.bool)])
    with pytest.raises(ValueError, match="outside layer shape"):
        graph.edge_index(0, 3, 0)
    with pytest.raises(ValueError, match="at least two node layers"):
        EdgeGraph((4,))
