import pytest
import torch

from subnetlab.methods.gw.distances import pairwise_distances
from subnetlab.methods.gw.representations import collect_representations
from subnetlab.methods.gw.synthetic import PlantedGroupsNet


def test_layers_inside_a_group_are_isometric_and_groups_differ():
    net = PlantedGroupsNet([3, 2], d_in=4, width=8, seed=1)
    assert net.layer_names == ["blocks.0", "blocks.1", "blocks.2", "blocks.3", "blocks.4"]
    assert net.group_labels == [0, 0, 0, 1, 1]
    reps = collect_representations(net, net.layer_names, torch.randn(20, 4))
    d = [pairwise_distances(reps[name]) for name in net.layer_names]
    assert torch.allclose(d[0], d[2], atol=1e-5)
    assert torch.allclose(d[3], d[4], atol=1e-5)
    assert not torch.allclose(d[2], d[3], atol=1e-2)


def test_same_seed_same_network_and_bad_sizes_raise():
    x = torch.randn(5, 16)
    assert torch.equal(PlantedGroupsNet([2, 2], seed=3)(x), PlantedGroupsNet([2, 2], seed=3)(x))
    with pytest.raises(ValueError, match="group_sizes"):
        PlantedGroupsNet([2, 0])
    with pytest.raises(ValueError, match="within_noise"):
        PlantedGroupsNet([2], within_noise=-1.0)
