import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import torch

from subnetlab.data.gaussian_inputs import gaussian_probes
from subnetlab.methods.gw.analysis import analyse_layers, layer_representations
from subnetlab.methods.gw.planted_recovery import (
    PLANTED_GW,
    PlantedRecovery,
    planted_family_recovery,
)
from subnetlab.models.planted_families import build_planted_families
from subnetlab.schemas.base import ConfigError, from_dict
from subnetlab.schemas.gw import GWSchema
from subnetlab.schemas.planted_families import PlantedFamiliesSchema


def _gw(**changes: Any) -> GWSchema:
    """The experiment's GW settings with ``changes``."""
    return from_dict(GWSchema, {**asdict(PLANTED_GW), **changes}, "method")


def test_the_default_grouping_recovers_three_unequally_spaced_families() -> None:
    metrics = planted_family_recovery(3, seed=0)
    assert metrics["ari"] == 1.0 and metrics["segments_ari"] == 1.0
    assert metrics["n_groups"] == metrics["planted_groups"] == 3.0
    assert metrics["n_layers"] == 12.0
    # families 0 and 1 are close, but far apart against the noise inside a family
    assert metrics["gw_between_min"] > 4 * metrics["gw_within_max"]


def test_the_largest_gap_merges_the_two_close_families() -> None:
    metrics = planted_family_recovery(3, seed=0, gw=_gw(group_rule="largest_gap"))
    # groups {0, 1}, {2}: the hand-computed ARI of tests/unit/methods/gw/test_grouping.py
    assert metrics["n_groups"] == 2.0 and metrics["ari"] == pytest.approx(12 / 23)


def test_one_family_is_one_group() -> None:
    metrics = planted_family_recovery(1, seed=1, layers_per_family=6)
    assert metrics["n_groups"] == metrics["planted_groups"] == 1.0 and metrics["ari"] == 1.0


def _recovery(settings: dict[str, Any], layers: list[str] | None = None) -> PlantedRecovery:
    """GW groups of the planted net's ``layers`` (all when None) on 40 Gaussian probes."""
    net = build_planted_families(from_dict(PlantedFamiliesSchema, settings, "model"))
    probe = gaussian_probes(40, net.d_in, 0)
    reps = layer_representations(net, layers or net.layer_names, probe, "last")
    return PlantedRecovery(analyse_layers(reps, _gw(probe_size=40), torch.device("cpu")), net)


def test_recovery_writes_the_families_beside_the_groups(tmp_path: Path) -> None:
    settings = {"n_families": 2, "family_sizes": [2, 3], "spacing": [0.5], "within_noise": 0.0}
    recovery = _recovery(settings)
    recovery.save(tmp_path)
    record = json.loads((tmp_path / "planted.json").read_text())
    assert record["families"] == [0, 0, 1, 1, 1] and record["spacing"] == [0.5]
    assert record["family_sizes"] == [2, 3] and record["within_noise"] == 0.0
    assert record["clusters"] == [0, 0, 1, 1, 1] and record["ari"] == 1.0
    assert json.loads((tmp_path / "groups.json").read_text())["n_groups"] == 2


def test_a_subset_of_layers_is_scored_against_its_own_families() -> None:
    # families 0 and 2 of three (1 unrelated to both): the grouped layers hold two of them
    settings = {"n_families": 3, "layers_per_family": 2, "spacing": [1.0, 1.0], "within_noise": 0.0}
    layers = ["layers.0", "layers.1", "layers.4", "layers.5"]
    recovery = _recovery(settings, layers)
    assert recovery.families.tolist() == [0, 0, 2, 2]
    metrics = recovery.metrics()
    assert metrics["planted_groups"] == 2.0 and metrics["ari"] == 1.0
    gw = recovery.groups.result.gw
    assert metrics["gw_between_min"] == pytest.approx(float(gw[:2, 2:].mean()))


def test_unknown_or_bad_settings_name_the_key() -> None:
    with pytest.raises(ConfigError) as info:
        planted_family_recovery(3, seed=0, near=0.1)
    assert info.value.key == "model.near"
    with pytest.raises(ConfigError) as info:
        planted_family_recovery(3, seed=0, spacing=[0.5])
    assert info.value.key == "model.spacing" and "2 values" in info.value.allowed
