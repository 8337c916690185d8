"""``study=gw_planted``: a planted-families network grouped by GW, scored against its families."""

import json
from pathlib import Path

import pytest

from subnetlab.lifecycle.runner import run
from subnetlab.methods.gw.planted_recovery import PLANTED_GW
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.run import validate_run_config
from tests.conftest import QUIET_RUN


def test_planted_run_reports_the_ari_and_both_numbers_of_groups(composed, tmp_path: Path) -> None:
    result = run(composed(["experiment=gw_planted", "study.n_families=4", *QUIET_RUN]), tmp_path)
    assert result.status == "ok", result.error
    m = result.metrics
    assert m["ari"] == 1.0 and m["n_groups"] == m["planted_groups"] == 4.0
    assert result.objective == 1.0  # optimized_metric: ari
    planted = json.loads((tmp_path / "planted.json").read_text())
    assert planted["spacing"] == [0.2, 1.0, 0.2] and planted["family_sizes"] == [4, 4, 4, 4]
    assert planted["clusters"] == planted["families"]
    assert json.loads((tmp_path / "groups.json").read_text())["n_groups"] == 4
    assert {p.stem for p in (tmp_path / "figures").glob("*.png")} == {
        "layer_matrices",
        "dendrogram",
    }


def test_the_experiment_uses_the_gw_settings_of_planted_family_recovery(composed) -> None:
    cfg = validate_run_config(composed(["experiment=gw_planted"]))
    assert cfg.method == PLANTED_GW


def test_planted_settings_are_checked_before_any_work(composed, tmp_path: Path) -> None:
    bad = ["experiment=gw_planted", "study.family_sizes=[4,4]", *QUIET_RUN]
    with pytest.raises(ConfigError) as info:
        run(composed(bad), tmp_path / "run")
    assert info.value.key == "study.family_sizes" and "3 values" in info.value.allowed
    assert not (tmp_path / "run").exists()
