import csv
import json
from pathlib import Path

import pytest

from subnetlab.sweeps.seed_study import SETTINGS, main, setting_command, write_table

GOOD = {"status": "ok", "mmcs": 0.9999, "ml2r": 0.993, "target_solution_error": 0.0}


def _job(root: Path, seed: int, metrics: dict | None) -> None:
    folder = root / f"seed={seed}"
    (folder / ".hydra").mkdir(parents=True)
    (folder / ".hydra" / "overrides.yaml").write_text(f"- seed={seed}\n")
    if metrics is not None:
        (folder / "metrics.json").write_text(json.dumps({**metrics, "wall_time_s": 30.0}))


def test_table_counts_passes_and_names_each_failure(tmp_path: Path) -> None:
    default = tmp_path / "default"
    _job(default, 0, GOOD)
    merged = {"mmcs": 0.975, "ml2r": 1.047, "target_solution_error": 8.0}
    _job(default, 1, {**GOOD, **merged, "diagnosis/merged_features": 2.0})
    _job(default, 2, {**GOOD, "ml2r": 0.87, "diagnosis/split_features": 1.0})
    _job(default, 3, {"status": "failed", "error": "boom"})
    _job(default, 4, None)  # still running: not counted
    resid = tmp_path / "spd_resid_mlp1"
    _job(resid, 0, {"status": "ok", "target_solution_error": 0.0})  # no MMCS: pattern only
    _job(resid, 1, {"status": "ok", "target_solution_error": 3.0})
    written = write_table(tmp_path, list(SETTINGS))
    rows = {r["setting"]: r for r in csv.DictReader(written["csv"].open())}
    assert set(rows) == {"default", "spd_resid_mlp1"}  # the others have no folder yet
    assert rows["default"]["seeds run"] == "4 of 20"
    assert rows["default"]["passed"] == "1" and rows["default"]["success rate"] == "25%"
    assert rows["default"]["failures"] == ("seed 1: merged 2; seed 2: split 1; seed 3: failed")
    assert rows["spd_resid_mlp1"]["passed"] == "1"
    assert rows["spd_resid_mlp1"]["failures"] == "seed 1: target-solution error 3"
    assert "| default | 4 of 20 | 1 | 25% |" in written["md"].read_text()


def test_commands_run_the_seed_preset_with_each_settings_budget(tmp_path: Path) -> None:
    by_name = {s.name: s for s in SETTINGS}
    default = setting_command(by_name["default"], tmp_path / "d", 2)
    assert not any(part.startswith("experiment=") for part in default)
    assert "sweep=spd_seeds" in default and f"seed={','.join(map(str, range(20)))}" in default
    resid = setting_command(by_name["spd_resid_mlp1"], tmp_path / "r", 2)
    assert "experiment=spd_resid_mlp1" in resid and "seed=0,1,2,3,4,5,6,7,8,9" in resid
    assert "hydra.launcher.n_jobs=2" in resid and f"hydra.sweep.dir={tmp_path / 'r'}" in resid


def test_unknown_setting_is_refused_before_any_sweep(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["--only", "default,tms_9_9", "--out", str(tmp_path)])
    assert "unknown setting(s) ['tms_9_9']" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
