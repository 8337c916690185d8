from typing import cast

import numpy as np
import pytest

from subnetlab.methods.gw.grouping import (
    ZERO_RTOL,
    GroupRule,
    adjusted_rand_index,
    average_linkage,
    cluster_layers,
    contiguous_segments,
    cut_at_height,
    largest_gap_k,
    separated_groups,
)
from subnetlab.schemas.gw import GWSchema

DEFAULTS = GWSchema()


def _groups(d: np.ndarray, k: int | None = None, rule: GroupRule = DEFAULTS.group_rule) -> list:
    """``cluster_layers`` at method=gw's default separation ratio."""
    return cluster_layers(d, k, rule, DEFAULTS.separation_ratio).tolist()


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
    for rule in ("separation", "largest_gap"):
        labels = _groups(_blocks(truth), rule=rule)
        assert adjusted_rand_index(labels, truth) == 1.0
        assert labels == [0, 1, 0, 2, 1, 2]


def test_fixed_k_cuts_the_dendrogram_higher():
    d = _blocks([0, 0, 1, 1, 2, 2])
    d[:2, 2:4] = d[2:4, :2] = 0.8  # groups 0 and 1 are closer to each other than to group 2
    assert _groups(d) == [0, 0, 1, 1, 2, 2]
    assert _groups(d, k=2) == [0, 0, 0, 0, 1, 1]
    assert _groups(d, k=1) == [0] * 6


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
        _groups(_blocks([0, 1]), k=3)
    with pytest.raises(ValueError, match="rule='median' is not supported"):
        _groups(_blocks([0, 1]), rule=cast(GroupRule, "median"))
    with pytest.raises(ValueError, match="separation ratio must be > 1"):
        separated_groups(average_linkage(_blocks([0, 1])), 1.0)
    with pytest.raises(ValueError, match="k must be"):
        contiguous_segments(_blocks([0, 1]), 0)
    with pytest.raises(ValueError, match="square"):
        _groups(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="NaN"):
        _groups(np.full((2, 2), np.nan))


def test_an_asymmetric_dissimilarity_is_refused():
    d = _blocks([0, 0, 1])
    d[0, 2] += 0.5
    with pytest.raises(ValueError, match="not symmetric"):
        _groups(d)
    with pytest.raises(ValueError, match="not symmetric"):
        contiguous_segments(d, 2)


# Hand-built average-linkage tables of six layers 0..5 (rows: child, child, height, size; node
# 6 + r is row r's merge): three pairs {0, 1}, {2, 3}, {4, 5} at 0.01 inside.
def _three_pairs(near: float, far: float) -> np.ndarray:
    """{0, 1} and {2, 3} merge at ``near``, then {4, 5} joins them at ``far``."""
    return np.array(
        [
            [0, 1, 0.01, 2],
            [2, 3, 0.01, 2],
            [4, 5, 0.01, 2],
            [6, 7, near, 4],
            [8, 9, far, 6],
        ]
    )


def test_separation_finds_unequally_spaced_families_where_the_largest_gap_does_not():
    merges = _three_pairs(near=0.1, far=1.0)
    # {0,1}-{2,3}: 0.1 >= 4 × 0.01; the root: 1.0 against {4,5}'s 0.01 and the spread of
    # {0,1,2,3}, (2 × 0.01 + 4 × 0.1) / 6 = 0.07
    assert separated_groups(merges, 4.0).tolist() == [0, 0, 1, 1, 2, 2]
    # gaps of 0, 0.01, 0.01, 0.01, 0.1, 1.0: the largest (0.9) leaves the top merge alone
    assert largest_gap_k(merges) == 2
    assert cut_at_height(merges, 2).tolist() == [0, 0, 0, 0, 1, 1]
    # the near merge is 10 times the spread inside either pair: a ratio above 10 joins them
    assert separated_groups(merges, 12.0).tolist() == [0, 0, 0, 0, 1, 1]


def test_separation_on_equally_spaced_families_and_on_one_family():
    assert separated_groups(_three_pairs(near=1.0, far=1.0), 4.0).tolist() == [0, 0, 1, 1, 2, 2]
    # one family whose merges climb slowly: no merge reaches 4 × the spread below it
    # ({0,1,2,3} at 0.02 against 0.012; the root at 0.025 against (0.01 + 0.012 + 4 × 0.02) / 6)
    slow = _three_pairs(near=0.02, far=0.025)
    slow[1, 2] = 0.012
    assert separated_groups(slow, 4.0).tolist() == [0] * 6
    assert largest_gap_k(slow) == 6  # the old rule cannot answer one group: 0 → 0.01 is a gap


def test_two_single_layers_never_separate_and_identical_layers_have_no_spread():
    # nothing to measure the merge against: two layers are one group, whatever their distance
    assert separated_groups(np.array([[0, 1, 5.0, 2]]), 4.0).tolist() == [0, 0]
    assert _groups(_blocks([0, 1])) == [0, 0]
    assert _groups(_blocks([0, 1]), rule="largest_gap") == [0, 1]
    # two families of exact copies (zero spread up to rounding): any positive merge separates
    d = _blocks([0, 0, 1, 1], within=1e-15 * ZERO_RTOL, between=1e-6)
    assert _groups(d) == [0, 0, 1, 1]
    # one family of exact copies: nothing separates
    assert _groups(_blocks([0, 0, 0], within=0.0, between=0.0)) == [0, 0, 0]


def test_separation_is_local_where_no_single_cut_gives_the_families():
    # tight families A = {0, 1}, B = {2, 3} (0.01 inside, 0.1 apart) and a loose family
    # C = {4, 5, 6} (0.2, 0.3, 0.4 inside, spread 0.3), 2.0 from A and B
    d = _blocks([0, 0, 1, 1, 2, 2, 2], within=0.01, between=2.0)
    d[:2, 2:4] = d[2:4, :2] = 0.1
    for (i, j), value in {(4, 5): 0.2, (4, 6): 0.3, (5, 6): 0.4}.items():
        d[i, j] = d[j, i] = value
    assert _groups(d) == [0, 0, 1, 1, 2, 2, 2]
    # one height cannot: C's inner merges (0.2, 0.35) lie above A-B's (0.1)
    merges = average_linkage(d)
    assert np.allclose(np.sort(merges[:, 2]), [0.01, 0.01, 0.1, 0.2, 0.35, 2.0])
    assert cut_at_height(merges, 3).tolist() == [0, 0, 0, 0, 1, 1, 2]


def test_adjusted_rand_index_of_two_merged_families_by_hand():
    # three families of four, the first two merged: contingency rows (4 | 4 | 4) in columns
    # (8, 4); index 3 × C(4,2) = 18, rows 18, columns C(8,2) + C(4,2) = 34, pairs C(12,2) = 66:
    # expected 18 × 34 / 66 = 102/11, max 26 -> (18 − 102/11) / (26 − 102/11) = 12/23
    truth = [0] * 4 + [1] * 4 + [2] * 4
    merged = [0] * 8 + [1] * 4
    assert adjusted_rand_index(merged, truth) == pytest.approx(12 / 23)
    assert adjusted_rand_index(truth, merged) == pytest.approx(12 / 23)
