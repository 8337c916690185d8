import numpy as np
import pytest
import torch

from subnetlab.methods.gw.distances import layer_distances
from subnetlab.methods.gw.grouping import adjusted_rand_index, cluster_layers, contiguous_segments
from subnetlab.methods.gw.pairwise import (
    gw_layer_matrix,
    identity_losses,
    layer_pairs,
    similarity_layer_matrices,
)
from subnetlab.methods.gw.representations import collect_representations
from subnetlab.methods.gw.solver_pot import identity_coupling_loss
from subnetlab.methods.gw.synthetic import PlantedGroupsNet
from subnetlab.schemas.gw import GWSchema


@pytest.fixture(scope="module")
def planted() -> tuple[PlantedGroupsNet, list[torch.Tensor], torch.Tensor]:
    net = PlantedGroupsNet([3, 2, 3], d_in=8, width=16, within_noise=0.05, seed=2)
    probe = torch.randn(48, 8, generator=torch.Generator().manual_seed(0))
    reps = collect_representations(net, net.layer_names, probe)
    return net, list(reps.values()), layer_distances(reps)


def test_identity_losses_match_the_pairwise_formula(planted):
    _, _, d = planted
    losses = identity_losses(d)
    assert losses[1, 4] == pytest.approx(identity_coupling_loss(d[1], d[4]), rel=1e-9)
    assert np.allclose(np.diag(losses), 0.0)


@pytest.mark.parametrize("solver", ["batched", "pot_exact", "entropic"])
def test_planted_groups_are_recovered_exactly(planted, solver):
    net, _, d = planted
    n_layers = 5 if solver == "entropic" else 8  # entropic is slow: first two groups only
    truth = net.group_labels[:n_layers]
    n_groups = len(set(truth))
    result = gw_layer_matrix(d[:n_layers], solver=solver, epsilon=0.05)
    assert np.allclose(result.gw, result.gw.T) and np.allclose(np.diag(result.gw), 0.0)
    assert (result.gw <= result.identity_loss + 1e-15).all()
    defaults = GWSchema()  # method=gw's grouping: the separation rule at its default ratio
    labels = cluster_layers(result.gw, None, defaults.group_rule, defaults.separation_ratio)
    assert adjusted_rand_index(labels, truth) == 1.0
    assert len(set(labels.tolist())) == n_groups
    assert contiguous_segments(result.gw, n_groups).tolist() == truth


def test_batched_matches_pot_exact(planted):
    # the default tolerances are POT's: both starts reach POT's values, so the kept ones too
    _, _, d = planted
    ours = gw_layer_matrix(d, solver="batched", prune_ratio=None)
    reference = gw_layer_matrix(d, solver="pot_exact")
    i, j = layer_pairs(d.shape[0]).T.numpy()
    np.testing.assert_allclose(ours.gw[i, j], reference.gw[i, j], rtol=1e-9, atol=0.0)
    np.testing.assert_allclose(
        ours.product_value[i, j], reference.product_value[i, j], rtol=1e-9, atol=0.0
    )
    assert not ours.product_abandoned.any()


def test_baseline_matrices(planted):
    net, reps, _ = planted
    out = similarity_layer_matrices(reps)
    assert set(out) == {"linear_cka", "debiased_cka", "procrustes"}
    assert np.allclose(np.diag(out["linear_cka"]), 1.0)
    assert np.allclose(out["procrustes"], out["procrustes"].T)
    # layers 0 and 1 are a rotation plus small noise apart; 0 and 3 are in different groups
    assert out["linear_cka"][0, 1] > out["linear_cka"][0, 3]
    assert out["procrustes"][0, 1] < out["procrustes"][0, 3]


def test_unknown_solver_raises(planted):
    with pytest.raises(ValueError, match="solver"):
        gw_layer_matrix(planted[2], solver="sinkhorn")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="prune_ratio"):
        gw_layer_matrix(planted[2], prune_ratio=0.5)


def test_layer_matrices_need_two_finite_symmetric_layers(planted):
    _, _, distances = planted
    with pytest.raises(ValueError, match="at least 2 layers"):
        gw_layer_matrix(distances[:1])
    poisoned = distances.clone()
    poisoned[2, 0, 1] = poisoned[2, 1, 0] = float("inf")
    for solver in ("batched", "pot_exact"):
        with pytest.raises(ValueError, match=r"distance matrices \[2\] contain NaN or infinite"):
            gw_layer_matrix(poisoned, solver=solver)
    with pytest.raises(ValueError, match="infinite"):
        identity_losses(poisoned)
