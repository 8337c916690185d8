import csv
import json
from pathlib import Path

import pytest

from subnetlab.sweeps.ground_truth_study import SETTINGS, Bar, main, setting_command, write_table

PLANTED = {"status": "ok", "edge_auc": 0.99, "hidden_node_auc": 1.0}


def _job(root: Path, seed: int, metrics: dict | None) -> None:
    folder = root / f"seed={seed}"
    (folder / ".hydra").mkdir(parents=True)
    (folder / ".hydra" / "overrides.yaml").write_text(f"- seed={seed}\n")
    if metrics is not None:
        (folder / "metrics.json").write_text(json.dumps({**metrics, "wall_time_s": 4.0}))


def test_a_seed_passes_when_it_meets_every_bar(tmp_path: Path) -> None:
    acdc = tmp_path / "circuit_acdc"
    _job(acdc, 0, {**PLANTED, "hidden_node_tpr": 1.0, "hidden_node_fpr": 0.0})
    _job(acdc, 1, {**PLANTED, "hidden_node_tpr": 0.5, "hidden_node_fpr": 0.0})  # misses a neuron
    _job(acdc, 2, {**PLANTED, "edge_auc": 0.9, "hidden_node_tpr": 1.0, "hidden_node_fpr": 0.0})
    _job(acdc, 3, {"status": "failed", "error": "boom"})
    magnitude = tmp_path / "circuit_magnitude"
    _job(magnitude, 0, {**PLANTED, "edge_auc": 0.7, "hidden_node_tpr": 0.5, "hidden_node_fpr": 0.0})
    written = write_table(tmp_path, list(SETTINGS), reduced=False)
    rows = {r["setting"]: r for r in csv.DictReader(written["csv"].open())}
    assert set(rows) == {"circuit_acdc", "circuit_magnitude"}  # the others have not run
    assert rows["circuit_acdc"]["seeds"] == "3 of 4" and rows["circuit_acdc"]["passed"] == "1 of 4"
    # mean of the three finished seeds, with their range
    assert rows["circuit_acdc"]["edge_auc"] == "0.96 [0.9, 0.99]"
    assert rows["circuit_acdc"]["hidden_node_tpr"] == "0.833 [0.5, 1]"
    assert rows["circuit_magnitude"]["passed"] == "-"  # a baseline has no bar
    text = written["md"].read_text()
    assert (
        "(full form)" in text
        and "edge_auc ≥ 0.95; hidden_node_tpr ≥ 1; hidden_node_fpr ≤ 0" in text
    )


def test_bars_compare_with_their_bounds_and_refuse_missing_values() -> None:
    bar = Bar("target_solution_error", high=0.0)
    assert bar.passes({"target_solution_error": 0.0})
    assert not bar.passes({"target_solution_error": 2.0})
    assert not bar.passes({}) and not bar.passes({"target_solution_error": float("nan")})
    assert Bar("mmcs", low=0.99).describe() == "mmcs ≥ 0.99"


def test_commands_run_each_setting_on_its_seeds_or_one_reduced_seed(tmp_path: Path) -> None:
    by_name = {s.name: s for s in SETTINGS}
    full = setting_command(by_name["circuit_eap_ig"], tmp_path / "c", 2, reduced=False)
    assert "experiment=circuit_planted" in full and "method.algorithm=eap_ig" in full
    assert "seed=0,1,2,3,4" in full and "hydra.launcher.n_jobs=2" in full
    spd = setting_command(by_name["spd_tms_5_2"], tmp_path / "s", 2, reduced=True)
    assert not any(p.startswith("experiment=") for p in spd)
    assert "seed=0" in spd and "method.steps=2000" in spd


def test_unknown_settings_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--only", "circuit_acdc,nope"])
    assert "unknown setting(s) ['nope']" in capsys.readouterr().err
