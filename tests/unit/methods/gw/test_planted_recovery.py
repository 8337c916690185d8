import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from subnetlab.methods.gw.planted_recovery import (
    PLANTED_GW,
    planted_family_recovery,
    probe_inputs,
    recover_planted_families,
)
from subnetlab.schemas.base import ConfigError, from_dict
from subnetlab.schemas.gw import GWSchema
from subnetlab.schemas.gw_studies import GWPlantedSchema


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


def test_recovery_writes_the_families_beside_the_groups(tmp_path: Path) -> None:
    settings = {"n_families": 2, "family_sizes": [2, 3], "spacing": [0.5], "within_noise": 0.0}
    planted = from_dict(GWPlantedSchema, settings, "study")
    recovery = recover_planted_families(planted, 0, _gw(probe_size=40), torch.device("cpu"))
    recovery.save(tmp_path)
    record = json.loads((tmp_path / "planted.json").read_text())
    assert record["families"] == [0, 0, 1, 1, 1] and record["spacing"] == [0.5]
    assert record["clusters"] == [0, 0, 1, 1, 1] and record["ari"] == 1.0
    assert json.loads((tmp_path / "groups.json").read_text())["n_groups"] == 2


def test_probes_are_seeded_apart_from_the_weights() -> None:
    assert torch.equal(probe_inputs(5, 3, seed=2), probe_inputs(5, 3, seed=2))
    first = probe_inputs(4, 4, seed=0).flatten()
    weights = torch.randn(16, generator=torch.Generator().manual_seed(0))
    assert not np.allclose(first.numpy(), weights.numpy())


def test_unknown_or_bad_settings_name_the_key() -> None:
    with pytest.raises(ConfigError) as info:
        planted_family_recovery(3, seed=0, near=0.1)
    assert info.value.key == "study.near"
    with pytest.raises(ConfigError) as info:
        planted_family_recovery(3, seed=0, spacing=[0.5])
    assert info.value.key == "study.spacing" and "2 values" in info.value.allowed
