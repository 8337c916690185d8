import math

import pytest
import torch

from subnetlab.analysis.feature_trajectory import (
    FeatureSnapshot,
    diagnose,
    feature_snapshot,
    trajectory_figure,
)


def pentagon(n: int = 5) -> torch.Tensor:
    """W (2, n): feature j at angle 2πj/n, unit length."""
    angles = torch.arange(n) * 2 * math.pi / n
    return torch.stack([angles.cos(), angles.sin()])


def test_clean_decomposition_has_one_subcomponent_per_feature_and_no_failure() -> None:
    W = pentagon()
    C = 8
    V = torch.zeros(5, C)
    V[torch.arange(5), torch.tensor([3, 0, 7, 1, 5])] = 1.0
    U = torch.zeros(C, 2)
    U[[3, 0, 7, 1, 5]] = W.T
    ci = V.clone()  # CI 1 on the feature's own subcomponent, 0 elsewhere
    snap = feature_snapshot(100, W, V, U, ci, threshold=0.1)
    assert snap.carrier == [3, 0, 7, 1, 5]
    assert snap.cosine == pytest.approx([1.0] * 5)
    assert snap.norm_ratio == pytest.approx([1.0] * 5)
    assert snap.active == [[3], [0], [7], [1], [5]]
    assert diagnose(snap) == {"missing": [], "split": [], "merged": [], "shrunk": []}


def test_split_merged_missing_and_shrunk_features_are_named() -> None:
    W = pentagon()
    V = torch.zeros(5, 6)
    U = torch.zeros(6, 2)
    # feature 0 shared out: two subcomponents with 0.6 and 0.4 of its column
    V[0, 0], U[0] = 1.0, 0.6 * W[:, 0]
    V[0, 1], U[1] = 1.0, 0.4 * W[:, 0]
    for j, c in ((1, 2), (2, 3), (3, 4), (4, 5)):
        V[j, c], U[c] = 1.0, W[:, j]
    ci = torch.zeros(5, 6)
    ci[0, [0, 1]] = 0.9  # split
    ci[1, 2] = ci[2, 2] = 1.0  # subcomponent 2 needed by features 1 and 2: merged
    ci[3, 4] = 1.0
    # feature 4: no subcomponent above the threshold
    ci[4, 5] = 0.05
    snap = feature_snapshot(7, W, V, U, ci, threshold=0.1)
    assert snap.carrier[0] == 0 and snap.norm_ratio[0] == pytest.approx(0.6)
    assert diagnose(snap) == {"missing": [4], "split": [0], "merged": [1, 2], "shrunk": [0]}


def test_snapshot_rejects_a_ci_matrix_of_the_wrong_shape() -> None:
    W = pentagon()
    with pytest.raises(ValueError, match="ci_one_hot must be"):
        feature_snapshot(0, W, torch.eye(5, 6), torch.ones(6, 2), torch.zeros(6, 5), 0.1)


def test_figure_draws_one_column_per_snapshot_and_refuses_none() -> None:
    snaps = [
        FeatureSnapshot(step, [0, 1], [0.9, 1.0], [0.5, 1.0], [[0, 2], [1]]) for step in (0, 10)
    ]
    fig = trajectory_figure(snaps, "linear1")
    heatmap = fig.axes[2].images[0].get_array()
    assert heatmap.shape == (2, 2)  # features × snapshots
    assert heatmap[:, 0].tolist() == [2, 1]  # feature 0 split (2 important), feature 1 clean
    with pytest.raises(ValueError, match="no snapshots"):
        trajectory_figure([], "linear1")
