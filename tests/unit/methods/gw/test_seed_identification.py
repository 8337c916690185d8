import numpy as np
import pytest

from subnetlab.methods.gw.seed_identification import layer_id_accuracy


def test_accuracy_on_a_hand_made_distance_matrix() -> None:
    # two models of three layers; model 0's layer 2 is closer to model 1's layer 1
    d = np.full((6, 6), 5.0)
    np.fill_diagonal(d, 0.0)
    cross = np.array([[0.1, 0.5, 0.9], [0.5, 0.2, 0.4], [0.9, 0.3, 0.6]])  # rows: model 0
    d[:3, 3:] = cross
    d[3:, :3] = cross.T
    # model 0 → 1 (rows of cross): layers 0, 1 right, layer 2 picks 1 (0.3) → wrong;
    # model 1 → 0 (columns): [0.1 0.5 0.9] right, [0.5 0.2 0.3] right, [0.9 0.4 0.6] wrong
    assert layer_id_accuracy(d, 2, "lower") == pytest.approx(4 / 6)
    assert layer_id_accuracy(-d, 2, "higher") == pytest.approx(4 / 6)


def test_ties_count_as_wrong_and_bad_shapes_are_named() -> None:
    d = np.zeros((4, 4))
    assert layer_id_accuracy(d, 2) == 0.0
    with pytest.raises(ValueError, match="equal depth"):
        layer_id_accuracy(np.zeros((5, 5)), 2)
    with pytest.raises(ValueError, match="closer"):
        layer_id_accuracy(d, 2, "nearer")


def test_a_nan_in_the_layer_matrix_is_refused():
    matrix = np.ones((4, 4)) - np.eye(4)
    matrix[0, 2] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        layer_id_accuracy(matrix, 2)
