import numpy as np
import pytest

from subnetlab.methods.gw.grouping import (
    adjusted_rand_index,
    average_linkage,
    cluster_layers,
    contiguous_segments,
    largest_gap_k,
)


def _blocks(labels: list[int], within: float = 0.1, between: float = 1.0) -> np.ndarray:
    lab = np.asarray(labels)
    d = np.where(lab[:, None] == lab[None, :], within, between)
    np.fill_diagonal(d, 0.0)
    return d


def test_adjusted_rand_index_by_hand():
    assert adjusted_rand_index([0, 0, 1, 1], [5, 5, 7, 7]) == 1.0
    # contingency (2, 1, 1): index 1, expected 2 * 1 / 6, max 1.5 -> (2/3) / (7/6)
    assert adjusted_rand_index([0, 0, 1, 1], [0, 0, 1, 2]) == pytest.approx(4 / 7)
    assert adjusted_rand_index([0, 0, 0], [1, 1, 1]) == 1.0
    with pytest.raises(ValueError, match="equal length"):
        adjusted_rand_index([0, 1], [0, 1, 2])


def test_largest_gap_picks_the_planted_number_of_groups():
    d = _blocks([0, 0, 0, 1, 1, 2, 2, 2])
    merges = average_linkage(d)
    # five merges at 0.1 then two at 1.0: the big jump leaves 3 clusters
    assert np.allclose(np.sort(merges[:, 2]), [0.1] * 5 + [1.0] * 2)
    assert largest_gap_k(merges) == 3


def test_cluster_layers_recovers_shuffled_groups_and_numbers_them_by_depth():
    truth = [2, 0, 2, 1, 0, 1]
    labels = cluster_layers(_blocks(truth))
    assert adjusted_rand_index(labels, truth) == 1.0
    assert labels.tolist() == [0, 1, 0, 2, 1, 2]


def test_fixed_k_cuts_the_dendrogram_higher():
    d = _blocks([0, 0, 1, 1, 2, 2])
    d[:2, 2:4] = d[2:4, :2] = 0.8  # groups 0 and 1 are closer to each other than to group 2
    assert cluster_layers(d).tolist() == [0, 0, 1, 1, 2, 2]
    assert cluster_layers(d, k=2).tolist() == [0, 0, 0, 0, 1, 1]
    assert cluster_layers(d, k=1).tolist() == [0] * 6


def test_contiguous_segments_by_hand():
    # a chain where layer 2 is a little closer to layer 3 than to layer 1
    d = np.array(
        [
            [0.0, 1.0, 4.0, 9.0],
            [1.0, 0.0, 3.0, 8.0],
            [4.0, 3.0, 0.0, 2.0],
            [9.0, 8.0, 2.0, 0.0],
        ]
    )
    assert contiguous_segments(d, 2).tolist() == [0, 0, 1, 1]  # costs: 1 + 2 = 3 is the minimum
    assert contiguous_segments(d, 1).tolist() == [0, 0, 0, 0]
    assert contiguous_segments(d, 4).tolist() == [0, 1, 2, 3]


def test_contiguous_segments_on_planted_blocks():
    d = _blocks([0, 0, 0, 1, 1, 2, 2, 2])
    assert contiguous_segments(d, 3).tolist() == [0, 0, 0, 1, 1, 2, 2, 2]


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="k must be"):
        cluster_layers(_blocks([0, 1]), k=3)
    with pytest.raises(ValueError, match="k must be"):
        contiguous_segments(_blocks([0, 1]), 0)
    with pytest.raises(ValueError, match="square"):
        cluster_layers(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="NaN"):
        cluster_layers(np.full((2, 2), np.nan))


def test_an_asymmetric_dissimilarity_is_refused():
    d = _blocks([0, 0, 1])
    d[0, 2] += 0.5
    with pytest.raises(ValueError, match="not symmetric"):
        cluster_layers(d)
    with pytest.raises(ValueError, match="not symmetric"):
        contiguous_segments(d, 2)
