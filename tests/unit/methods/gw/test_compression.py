import numpy as np
import pytest

from subnetlab.methods.gw.compression import group_interiors, gw_removal_order, removal_curves


def test_group_interiors_are_every_block_after_a_groups_first() -> None:
    assert group_interiors(np.array([0, 0, 0, 1, 2, 2])) == [1, 2, 5]
    assert group_interiors(np.array([0, 1, 2])) == []


def test_gw_order_takes_interiors_first_by_gw_change() -> None:
    gw = np.zeros((5, 5))
    for i, change in enumerate([0.3, 0.1, 0.9, 0.2], start=1):  # gw[i-1, i]
        gw[i - 1, i] = gw[i, i - 1] = change
    # groups {0, 1, 2} and {3, 4}: interiors 1, 2, 4 ordered by change 0.3, 0.1, 0.2
    assert gw_removal_order(gw, np.array([0, 0, 0, 1, 1])) == [2, 4, 1, 3, 0]


def test_curves_by_hand() -> None:
    weights = [1.0, 2.0, 4.0, 8.0]

    def metric(removed: list[int]) -> float:  # accuracy-like: what is left of 15
        return 15.0 - sum(weights[i] for i in removed)

    curves = removal_curves(
        metric, [0, 1, 2, 3], n_interior=2, n_draws=50, seed=0, higher_is_better=True
    )
    assert curves.removed == [0, 1, 2, 3]
    assert curves.gw == [15.0, 14.0, 12.0, 8.0]  # removing zero blocks = the full model
    assert curves.random_mean[0] == 15.0 and curves.random_std[0] == 0.0
    # windows of 2: {0,1}: 12, {1,2}: 9, {2,3}: 3
    assert curves.contiguous_mean[2] == 8.0 and curves.contiguous_best[2] == 12.0
    assert curves.contiguous_mean[3] == (15 - 7 + 15 - 14) / 2
    # random draws: mean of 15 − (sum of m weights); every draw lies within the exact range
    assert 15 - 12 <= curves.random_mean[2] <= 15 - 3 and curves.random_std[2] > 0
    assert curves.n_interior == 2


def test_removal_order_refuses_mismatched_or_non_finite_inputs() -> None:
    gw = np.zeros((3, 3))
    with pytest.raises(ValueError, match=r"\(L, L\) GW matrix and \(L,\) segments"):
        gw_removal_order(gw, np.array([0, 0]))
    gw[0, 1] = gw[1, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        gw_removal_order(gw, np.array([0, 0, 1]))
