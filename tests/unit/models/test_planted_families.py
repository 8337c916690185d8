"""``model=planted_families``: a network whose layers form planted families at chosen spacings."""

import hashlib
from typing import Any

import numpy as np
import pytest
import torch

from subnetlab.methods.gw.analysis import layer_representations
from subnetlab.methods.gw.distances import layer_distances
from subnetlab.methods.gw.pairwise import gw_layer_matrix
from subnetlab.models.planted_families import PlantedFamiliesNet
from subnetlab.registry import build_model, model_family
from subnetlab.schemas.base import ConfigError, from_dict
from subnetlab.schemas.planted_families import PlantedFamiliesSchema
from subnetlab.training.recipe import build_recipe


def _net(
    family_sizes: list[int], spacing: list[float], within_noise: float, seed: int, **other: Any
) -> PlantedFamiliesNet:
    """The ``model=planted_families`` net of these families (the schema's other defaults)."""
    settings = {
        "n_families": len(family_sizes),
        "family_sizes": family_sizes,
        "spacing": spacing,
        "within_noise": within_noise,
        "seed": seed,
        **other,
    }
    net = build_model(from_dict(PlantedFamiliesSchema, settings, "model"))
    assert isinstance(net, PlantedFamiliesNet)
    return net


def _gw(net: PlantedFamiliesNet, n_probes: int = 60) -> np.ndarray:
    """(L, L) GW between the net's layers on Gaussian probes (method=gw's distances)."""
    probe = torch.randn(n_probes, net.d_in, generator=torch.Generator().manual_seed(7))
    reps = layer_representations(net, net.layer_names, probe, "last")
    return gw_layer_matrix(layer_distances(reps)).gw


def _between(gw: np.ndarray, labels: list[int], a: int, b: int) -> float:
    fam = np.asarray(labels)
    return float(gw[np.ix_(fam == a, fam == b)].mean())


def test_layers_and_families_are_named_in_depth_order() -> None:
    net = _net([2, 3], [0.5], 0.1, seed=0, d_in=4, width=8)
    assert net.layer_names == [f"layers.{i}" for i in range(5)]
    assert net.family_labels.tolist() == [0, 0, 1, 1, 1]
    assert net.families_of(["layers.4", "layers.1"]) == [1, 0]
    # family 0 is 8 wide; spacing < 1 keeps it beside 8 new features; each layer adds 8
    assert net(torch.randn(3, 4)).shape == (3, 16 + 8)


def test_the_spacing_knob_sets_the_gw_distance_between_two_families() -> None:
    between = []
    for spacing in (0.1, 0.3, 1.0):
        net = _net([2, 2], [spacing], 0.0, seed=1)
        gw = _gw(net)
        # no noise: the layers of a family are isometries of each other (GW zero up to rounding)
        assert gw[0, 1] < 1e-12 and gw[2, 3] < 1e-12
        between.append(_between(gw, net.family_labels.tolist(), 0, 1))
    # GW grows about as spacing²: 0.1 and 0.3 give about 1 % and 10 % of an unrelated family's
    assert between[0] < between[1] < between[2]
    assert between[0] < 0.05 * between[2] and between[1] < 0.3 * between[2]


def test_unequal_spacing_puts_two_families_close_and_the_third_far() -> None:
    net = _net([2, 2, 2], [0.2, 1.0], 0.0, seed=2)
    gw = _gw(net)
    near = _between(gw, net.family_labels.tolist(), 0, 1)
    assert 10 * near < _between(gw, net.family_labels.tolist(), 0, 2)
    assert 10 * near < _between(gw, net.family_labels.tolist(), 1, 2)


def test_within_noise_stays_the_same_along_a_family() -> None:
    # each layer's own perturbation is dropped by the next layer: the last layer of a family of
    # eight is no farther from the first than the second is (a drift would grow along it)
    quiet = _gw(_net([8], [], 0.1, seed=3))
    loud = _gw(_net([8], [], 0.3, seed=3))
    assert loud[0, 7] < 3 * loud[0, 1] and loud[0, 1] < 3 * loud[0, 7]
    # within-family GW grows with the noise (about as ν⁴: 81 times from 0.1 to 0.3)
    pairs = np.triu_indices(8, 1)
    assert 20 * quiet[pairs].mean() < loud[pairs].mean()


def test_same_seed_same_network() -> None:
    x = torch.randn(5, 16)
    a = _net([2, 2], [0.3], 0.2, seed=4)
    b = _net([2, 2], [0.3], 0.2, seed=4)
    assert torch.equal(a(x), b(x))
    assert not torch.equal(a(x), _net([2, 2], [0.3], 0.2, seed=5)(x))


def test_bad_settings_raise() -> None:
    sizes = {"d_in": 16, "width": 8, "gain": 3.0}
    with pytest.raises(ValueError, match="family_sizes"):
        PlantedFamiliesNet([2, 0], [1.0], 0.0, seed=0, **sizes)
    with pytest.raises(ValueError, match="spacing must hold 2 values"):
        PlantedFamiliesNet([2, 2, 2], [0.5], 0.0, seed=0, **sizes)
    with pytest.raises(ValueError, match=r"in \(0, 1\]"):
        PlantedFamiliesNet([2, 2], [0.0], 0.0, seed=0, **sizes)
    with pytest.raises(ValueError, match="within_noise"):
        PlantedFamiliesNet([2], [], -0.1, seed=0, **sizes)
    with pytest.raises(ValueError, match="not planted layers"):
        _net([2], [], 0.0, seed=0).families_of(["layers"])


@pytest.mark.parametrize(
    ("settings", "key", "allowed"),
    [
        ({"n_families": 0}, "model.n_families", "an integer ≥ 1"),
        ({"layers_per_family": 0}, "model.layers_per_family", "an integer ≥ 1"),
        ({"family_sizes": [4, 0, 4]}, "model.family_sizes[1]", "an integer ≥ 1"),
        ({"family_sizes": [4, 4]}, "model.family_sizes", "3 values (n_families)"),
        ({"near_spacing": 0.0}, "model.near_spacing", "a number in (0, 1]"),
        ({"far_spacing": 1.5}, "model.far_spacing", "a number in (0, 1]"),
        ({"spacing": [0.5, -0.1]}, "model.spacing[1]", "a number in (0, 1]"),
        ({"spacing": [0.5]}, "model.spacing", "2 values (n_families − 1)"),
        ({"within_noise": -0.1}, "model.within_noise", "a number ≥ 0"),
        ({"n_families": 1, "layers_per_family": 1}, "model.layers_per_family", "at least two"),
        ({"gain": 0.0}, "model.gain", "a number > 0"),
    ],
)
def test_bad_settings_are_one_line_config_errors_naming_the_key(
    settings: dict[str, Any], key: str, allowed: str
) -> None:
    with pytest.raises(ConfigError) as info:
        from_dict(PlantedFamiliesSchema, settings, "model")
    assert info.value.key == key and info.value.allowed.startswith(allowed)
    assert "\n" not in str(info.value)


def _digest(net: torch.nn.Module) -> str:
    """sha256 of the net's weights (names and bytes, state-dict order), the family labels left
    out."""
    digest = hashlib.sha256()
    for name, tensor in net.state_dict().items():
        if name != "family_labels":
            digest.update(name.encode())
            digest.update(tensor.detach().contiguous().numpy().tobytes())
    return digest.hexdigest()


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        # the weights study=gw_planted built before the family existed (seed 0, its defaults; and
        # 4 families of 3 layers, near spacing 0.3, noise 0.1, seed 7), hashed at that commit
        ({}, "80291d4525641d36127ea03d489d4e72b56b22d3b5622c00084b670abbb324c7"),
        (
            {
                "n_families": 4,
                "layers_per_family": 3,
                "near_spacing": 0.3,
                "within_noise": 0.1,
                "seed": 7,
            },
            "f0a5e5df9381a0d8262cc77098b9e2965ac1428a4231c973c99712983d2bc73a",
        ),
    ],
)
def test_the_family_builds_the_weights_the_planted_study_built(
    settings: dict[str, Any], expected: str
) -> None:
    assert _digest(build_model(from_dict(PlantedFamiliesSchema, settings, "model"))) == expected


def test_the_model_family_is_built_from_its_config_and_keeps_its_families_in_the_state_dict():
    assert model_family("planted_families").weights_from_config
    cfg = PlantedFamiliesSchema(n_families=2, layers_per_family=3, seed=2)
    net = build_model(cfg)
    assert net.state_dict()["family_labels"].tolist() == [0, 0, 0, 1, 1, 1]
    again = build_model(cfg).state_dict()
    assert all(torch.equal(value, again[name]) for name, value in net.state_dict().items())
    other = build_model(PlantedFamiliesSchema(n_families=2, layers_per_family=3, seed=3))
    assert not torch.equal(
        other.state_dict()["layers.0.open_weight"], again["layers.0.open_weight"]
    )


def test_a_planted_net_is_not_trained():
    with pytest.raises(ConfigError, match="built whole from its config"):
        build_recipe(PlantedFamiliesSchema(), None, 0)
