import numpy as np
import pytest
import torch

from subnetlab.methods.gw.analysis import layer_representations
from subnetlab.methods.gw.distances import layer_distances
from subnetlab.methods.gw.pairwise import gw_layer_matrix
from subnetlab.methods.gw.planted_families import PlantedFamiliesNet


def _gw(net: PlantedFamiliesNet, n_probes: int = 60) -> np.ndarray:
    """(L, L) GW between the net's layers on Gaussian probes (method=gw's distances)."""
    probe = torch.randn(n_probes, net.d_in, generator=torch.Generator().manual_seed(7))
    reps = layer_representations(net, net.layer_names, probe, "last")
    return gw_layer_matrix(layer_distances(reps)).gw


def _between(gw: np.ndarray, labels: list[int], a: int, b: int) -> float:
    fam = np.asarray(labels)
    return float(gw[np.ix_(fam == a, fam == b)].mean())


def test_layers_and_families_are_named_in_depth_order() -> None:
    net = PlantedFamiliesNet([2, 3], [0.5], 0.1, seed=0, d_in=4, width=8)
    assert net.layer_names == [f"layers.{i}" for i in range(5)]
    assert net.family_labels == [0, 0, 1, 1, 1]
    # family 0 is 8 wide; spacing < 1 keeps it beside 8 new features; each layer adds 8
    assert net(torch.randn(3, 4)).shape == (3, 16 + 8)


def test_the_spacing_knob_sets_the_gw_distance_between_two_families() -> None:
    between = []
    for spacing in (0.1, 0.3, 1.0):
        net = PlantedFamiliesNet([2, 2], [spacing], 0.0, seed=1)
        gw = _gw(net)
        # no noise: the layers of a family are isometries of each other (GW zero up to rounding)
        assert gw[0, 1] < 1e-12 and gw[2, 3] < 1e-12
        between.append(_between(gw, net.family_labels, 0, 1))
    # GW grows about as spacing²: 0.1 and 0.3 give about 1 % and 10 % of an unrelated family's
    assert between[0] < between[1] < between[2]
    assert between[0] < 0.05 * between[2] and between[1] < 0.3 * between[2]


def test_unequal_spacing_puts_two_families_close_and_the_third_far() -> None:
    net = PlantedFamiliesNet([2, 2, 2], [0.2, 1.0], 0.0, seed=2)
    gw = _gw(net)
    near = _between(gw, net.family_labels, 0, 1)
    assert 10 * near < _between(gw, net.family_labels, 0, 2)
    assert 10 * near < _between(gw, net.family_labels, 1, 2)


def test_within_noise_stays_the_same_along_a_family() -> None:
    # each layer's own perturbation is dropped by the next layer: the last layer of a family of
    # eight is no farther from the first than the second is (a drift would grow along it)
    quiet = _gw(PlantedFamiliesNet([8], [], 0.1, seed=3))
    loud = _gw(PlantedFamiliesNet([8], [], 0.3, seed=3))
    assert loud[0, 7] < 3 * loud[0, 1] and loud[0, 1] < 3 * loud[0, 7]
    # within-family GW grows with the noise (about as ν⁴: 81 times from 0.1 to 0.3)
    pairs = np.triu_indices(8, 1)
    assert 20 * quiet[pairs].mean() < loud[pairs].mean()


def test_same_seed_same_network() -> None:
    x = torch.randn(5, 16)
    a = PlantedFamiliesNet([2, 2], [0.3], 0.2, seed=4)
    b = PlantedFamiliesNet([2, 2], [0.3], 0.2, seed=4)
    assert torch.equal(a(x), b(x))
    assert not torch.equal(a(x), PlantedFamiliesNet([2, 2], [0.3], 0.2, seed=5)(x))


def test_bad_settings_raise() -> None:
    with pytest.raises(ValueError, match="family_sizes"):
        PlantedFamiliesNet([2, 0], [1.0], 0.0, seed=0)
    with pytest.raises(ValueError, match="spacing must hold 2 values"):
        PlantedFamiliesNet([2, 2, 2], [0.5], 0.0, seed=0)
    with pytest.raises(ValueError, match=r"in \(0, 1\]"):
        PlantedFamiliesNet([2, 2], [0.0], 0.0, seed=0)
    with pytest.raises(ValueError, match="within_noise"):
        PlantedFamiliesNet([2], [], -0.1, seed=0)
