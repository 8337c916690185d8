import pytest
import torch

from subnetlab.methods.circuit.edge_graph import EdgeGraph
from subnetlab.methods.circuit.ground_truth import GroundTruth, recovery, roc_auc, sweep_auc

DEPENDENCIES = torch.tensor([[1, 0, 1, 0], [0, 1, 0, 1]], dtype=torch.bool)


def independence_like_mask(extra_edge: bool) -> list[torch.Tensor]:
    """[4, 2, 2]: hidden 0 reads x1, x3 and feeds output 1; hidden 1 reads x2, x4 -> output 2."""
    first = torch.tensor([[1, 0, 1, 0], [0, 1, 0, 1]], dtype=torch.bool)
    first[0, 1] = extra_edge  # x2 leaks into output 1's hidden neuron
    return [first, torch.eye(2, dtype=torch.bool)]


def test_node_rates_against_input_output_dependencies():
    graph = EdgeGraph((4, 2, 2))
    truth = GroundTruth.from_dependencies(DEPENDENCIES, graph.widths)
    assert recovery(truth, graph, independence_like_mask(False)) == {
        "node_tpr": 1.0,
        "node_fpr": 0.0,
    }
    # one of the four non-dependencies is wrongly present
    assert recovery(truth, graph, independence_like_mask(True)) == {
        "node_tpr": 1.0,
        "node_fpr": 0.25,
    }
    # the full net: every input reaches every output
    assert recovery(truth, graph, graph.full_mask()) == {"node_tpr": 1.0, "node_fpr": 1.0}


def test_edge_rates_when_the_true_edges_are_known():
    graph = EdgeGraph((2, 1))
    truth = GroundTruth(
        nodes=[torch.tensor([[True, False]])], edges=[torch.tensor([[True, False]])]
    )
    rates = recovery(truth, graph, [torch.tensor([[True, True]])])
    assert rates == {"node_tpr": 1.0, "node_fpr": 1.0, "edge_tpr": 1.0, "edge_fpr": 1.0}
    rates = recovery(truth, graph, [torch.tensor([[False, True]])])
    assert rates == {"node_tpr": 0.0, "node_fpr": 1.0, "edge_tpr": 0.0, "edge_fpr": 1.0}


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
    assert sweep_auc(truth, graph, masks) == {"node_auc": pytest.approx(1.0)}


def test_ground_truth_rejects_bad_shapes_and_one_class_truths():
    graph = EdgeGraph((4, 2, 2))
    with pytest.raises(ValueError, match=r"expected \(n_out, n_in\) = \(2, 4\)"):
        GroundTruth.from_dependencies(torch.ones(4, 2, dtype=torch.bool), graph.widths)
    all_true = GroundTruth.from_dependencies(torch.ones(2, 4, dtype=torch.bool), graph.widths)
    with pytest.raises(ValueError, match="both members and non-members"):
        recovery(all_true, graph, graph.full_mask())
    with pytest.raises(ValueError, match="got 2 FPR values but 1 TPR"):
        roc_auc([0.1, 0.2], [0.3])
