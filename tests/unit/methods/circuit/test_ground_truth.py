import pytest
import torch

from subnetlab.methods.circuit.edge_graph import EdgeGraph
from subnetlab.methods.circuit.ground_truth import (
    GroundTruth,
    load_truth_file,
    recovery,
    roc_auc,
    sweep_auc,
)

DEPENDENCIES = torch.tensor([[1, 0, 1, 0], [0, 1, 0, 1]], dtype=torch.bool)


def independence_like_mask(extra_edge: bool) -> list[torch.Tensor]:
    """[4, 2, 2]: hidden 0 reads x1, x3 and feeds output 1; hidden 1 reads x2, x4 -> output 2."""
    first = torch.tensor([[1, 0, 1, 0], [0, 1, 0, 1]], dtype=torch.bool)
    first[0, 1] = extra_edge  # x2 leaks into output 1's hidden neuron
    return [first, torch.eye(2, dtype=torch.bool)]


def test_node_rates_against_input_output_dependencies():
    graph = EdgeGraph((4, 2, 2))
    truth = GroundTruth.from_dependencies(DEPENDENCIES, graph.widths)
    # only the inputs are known: node and input_node rates coincide, no hidden level
    assert recovery(truth, graph, independence_like_mask(False)) == {
        "node_tpr": 1.0,
        "node_fpr": 0.0,
        "input_node_tpr": 1.0,
        "input_node_fpr": 0.0,
    }
    # one of the four non-dependencies is wrongly present
    rates = recovery(truth, graph, independence_like_mask(True))
    assert rates["node_fpr"] == rates["input_node_fpr"] == 0.25
    # the full net: every input reaches every output
    assert recovery(truth, graph, graph.full_mask())["node_fpr"] == 1.0


def test_edge_rates_when_the_true_edges_are_known():
    graph = EdgeGraph((2, 1))
    truth = GroundTruth(
        nodes=[torch.tensor([[True, False]])], edges=[torch.tensor([[True, False]])]
    )
    rates = recovery(truth, graph, [torch.tensor([[True, True]])])
    assert rates == {
        "node_tpr": 1.0,
        "node_fpr": 1.0,
        "input_node_tpr": 1.0,
        "input_node_fpr": 1.0,
        "edge_tpr": 1.0,
        "edge_fpr": 1.0,
    }
    rates = recovery(truth, graph, [torch.tensor([[False, True]])])
    assert (rates["node_tpr"], rates["node_fpr"]) == (0.0, 1.0)
    assert (rates["edge_tpr"], rates["edge_fpr"]) == (0.0, 1.0)


def test_roc_auc_of_known_curves():
    assert roc_auc([0.0], [1.0]) == pytest.approx(1.0)
    assert roc_auc([0.5], [0.5]) == pytest.approx(0.5)
    assert roc_auc([], []) == pytest.approx(0.5)
    # (0,0) (0,0.5) (0.5,1) (1,1): 0.5 * 0.75 + 0.5 * 1
    assert roc_auc([0.5, 0.0], [1.0, 0.5]) == pytest.approx(0.875)


def test_sweep_auc_over_circuits_from_tight_to_loose():
    graph = EdgeGraph((4, 2, 2))
    truth = GroundTruth.from_dependencies(DEPENDENCIES, graph.widths)
    masks = [
        graph.empty_mask(),
        independence_like_mask(False),
        independence_like_mask(True),
        graph.full_mask(),
    ]
    assert sweep_auc(truth, graph, masks) == {
        "node_auc": pytest.approx(1.0),
        "input_node_auc": pytest.approx(1.0),
    }


def test_ground_truth_rejects_bad_shapes_and_one_class_truths():
    graph = EdgeGraph((4, 2, 2))
    with pytest.raises(ValueError, match=r"expected \(n_out, n_in\) = \(2, 4\)"):
        GroundTruth.from_dependencies(torch.ones(4, 2, dtype=torch.bool), graph.widths)
    all_true = GroundTruth.from_dependencies(torch.ones(2, 4, dtype=torch.bool), graph.widths)
    with pytest.raises(ValueError, match="both members and non-members"):
        recovery(all_true, graph, graph.full_mask())
    with pytest.raises(ValueError, match="got 2 FPR values but 1 TPR"):
        roc_auc([0.1, 0.2], [0.3])


def test_a_truth_given_as_edges_scores_hidden_neurons_on_true_paths():
    # [2, 3, 1]: x0 -> h0 -> y0 is the circuit; h1 reads x1 but feeds nothing, h2 feeds y0 but
    # reads nothing, so neither lies on a true path
    edges = [
        torch.tensor([[True, False], [False, True], [False, False]]),
        torch.tensor([[True, False, True]]),
    ]
    graph = EdgeGraph((2, 3, 1))
    truth = GroundTruth.from_edges(edges, graph)
    assert truth.nodes[0].tolist() == [[True, False]]
    assert truth.nodes[1].tolist() == [[True, False, False]]
    # the path alone: every node right, 2 of the 4 true edges (the dangling ones are missed)
    path = [
        torch.tensor([[True, False], [False, False], [False, False]]),
        torch.tensor([[True, False, False]]),
    ]
    assert recovery(truth, graph, path) == {
        "node_tpr": 1.0,
        "node_fpr": 0.0,
        "input_node_tpr": 1.0,
        "input_node_fpr": 0.0,
        "hidden_node_tpr": 1.0,
        "hidden_node_fpr": 0.0,
        "edge_tpr": 0.5,
        "edge_fpr": 0.0,
    }
    # cutting h0 -> y0 leaves x0 and h0 on no path: no true node found
    cut = [path[0], torch.zeros(1, 3, dtype=torch.bool)]
    rates = recovery(truth, graph, cut)
    assert rates["node_tpr"] == 0.0 and rates["edge_tpr"] == 0.25


def test_the_planted_truth_is_what_its_edges_say():
    from subnetlab.methods.circuit.planted import planted_circuit

    planted = planted_circuit(widths=(6, 8, 8, 2), module_widths=(2, 3, 3), seed=0)
    graph = EdgeGraph((6, 8, 8, 2))
    from_edges = GroundTruth.from_edges(planted.truth.edges, graph)
    for ours, theirs in zip(from_edges.nodes, planted.truth.nodes, strict=True):
        assert torch.equal(ours, theirs)


def test_a_truth_file_loads_and_bad_ones_say_why(tmp_path):
    graph = EdgeGraph((2, 1))
    edges = [torch.tensor([[True, False]])]
    torch.save(edges, tmp_path / "list.pt")
    torch.save({"edges": edges}, tmp_path / "dict.pt")
    for name in ("list.pt", "dict.pt"):
        truth = load_truth_file(str(tmp_path / name), graph)
        assert truth.nodes[0].tolist() == [[True, False]]
    torch.save([torch.ones(1, 2)], tmp_path / "float.pt")
    with pytest.raises(ValueError, match=r"layer 0 is torch.float32 \(1, 2\); expected bool"):
        load_truth_file(str(tmp_path / "float.pt"), graph)
    torch.save({"weights": edges}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="no list of edge masks"):
        load_truth_file(str(tmp_path / "other.pt"), graph)
    with pytest.raises(ValueError, match="no such file"):
        load_truth_file(str(tmp_path / "missing.pt"), graph)
    torch.save([torch.tensor([[True, True]])], tmp_path / "all.pt")
    with pytest.raises(ValueError, match="both members and non-members"):
        load_truth_file(str(tmp_path / "all.pt"), graph)


def hidden_truth() -> tuple[EdgeGraph, GroundTruth]:
    """[2, 2, 1]: x0 -> h0 -> y0 is the circuit; x1 and h1 are not in it."""
    graph = EdgeGraph((2, 2, 1))
    edges = [torch.tensor([[True, False], [False, False]]), torch.tensor([[True, False]])]
    return graph, GroundTruth.from_edges(edges, graph)


def test_hidden_neurons_are_scored_on_their_own_level():
    graph, truth = hidden_truth()
    # h0 cut off from its input: its edge to y0 is kept but h0 lies on no input→output path, so
    # the hidden level scores TPR 0 although every true edge into the output is kept
    cut = [torch.tensor([[False, False], [False, True]]), torch.tensor([[True, True]])]
    rates = recovery(truth, graph, cut)
    assert rates["hidden_node_tpr"] == 0.0 and rates["hidden_node_fpr"] == 1.0
    assert rates["input_node_tpr"] == 0.0 and rates["input_node_fpr"] == 1.0
    assert rates["node_tpr"] == 0.0 and rates["node_fpr"] == 1.0
    assert rates["edge_tpr"] == 0.5 and rates["edge_fpr"] == pytest.approx(2 / 4)
    # a sweep from the true circuit to the full net: hidden AUC 1, input AUC 1
    masks = [graph.empty_mask(), [e.clone() for e in truth.edges], graph.full_mask()]
    assert sweep_auc(truth, graph, masks) == {
        "node_auc": pytest.approx(1.0),
        "input_node_auc": pytest.approx(1.0),
        "hidden_node_auc": pytest.approx(1.0),
        "edge_auc": pytest.approx(1.0),
    }


def test_dangling_nodes_and_edges_lie_on_no_input_output_path():
    graph = EdgeGraph((2, 2, 1))
    # x0 -> h0 -> y0 is a path; x1 -> h1 leads nowhere (h1 feeds nothing): 2 dangling nodes
    # (x1, h1) and 1 dangling edge
    mask = [torch.tensor([[True, False], [False, True]]), torch.tensor([[True, False]])]
    assert graph.dangling_nodes(mask) == 2
    on_paths = graph.edges_on_paths(mask)
    assert [m.tolist() for m in on_paths] == [[[True, False], [False, False]], [[True, False]]]
    # h1 -> y0 kept but nothing reaches h1: h1 dangles, the edge too
    mask = [torch.tensor([[True, False], [False, False]]), torch.tensor([[True, True]])]
    assert graph.dangling_nodes(mask) == 1
    assert graph.count_edges(graph.edges_on_paths(mask)) == 2
    assert graph.dangling_nodes(graph.full_mask()) == 0
