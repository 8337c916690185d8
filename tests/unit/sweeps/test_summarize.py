import csv
import json
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from subnetlab.sweeps.spd_criterion import TMS_RECOVERY
from subnetlab.sweeps.summarize import main, summarize
from tests.conftest import CONF


def _job(root: Path, name: str, overrides: list[str], metrics: dict | None) -> None:
    folder = root / name
    (folder / ".hydra").mkdir(parents=True)
    (folder / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
    if metrics is not None:
        (folder / "metrics.json").write_text(json.dumps(metrics))


def _sweep(root: Path) -> Path:
    good = {"status": "ok", "mmcs": 0.999, "ml2r": 1.0, "target_solution_error": 0.0}
    shrunk = {"status": "ok", "mmcs": 0.998, "ml2r": 0.89, "target_solution_error": 0.0}
    for seed in (0, 1):
        for beta in ("1e-3", "3e-3"):
            ok = seed == 0 or beta == "3e-3"  # β3 = 1e-3 fails on seed 1
            metrics = {**good, "method": "spd"} if ok else {**good, "method": "spd", "mmcs": 0.9}
            _job(
                root,
                f"spd_seed={seed},beta={beta}",
                [
                    "experiment=spd_tms_5_2",
                    f"seed={seed}",
                    f"method.coeffs.importance_minimality={beta}",
                ],
                metrics,
            )
        _job(
            root,
            f"apd_seed={seed}",
            ["experiment=apd_tms_5_2", f"seed={seed}", "method.topk=0.211"],
            {**shrunk, "method": "apd"},
        )
    _job(
        root,
        "apd_seed=2",
        ["experiment=apd_tms_5_2", "seed=2", "method.topk=0.211"],
        {"status": "failed", "error": "NonFiniteLossError: APD loss became nan", "method": "apd"},
    )
    _job(root, "apd_seed=3", ["experiment=apd_tms_5_2", "seed=3", "method.topk=0.211"], None)
    return root


def test_summary_of_a_generated_sweep(tmp_path: Path) -> None:
    sweep = _sweep(tmp_path / "sweep")
    written = summarize(sweep, criterion=TMS_RECOVERY)
    with written["csv"].open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 8
    by_job = {r["job"]: r for r in rows}
    assert by_job["spd_seed=1,beta=1e-3"]["success"] == "False"
    assert by_job["spd_seed=1,beta=3e-3"]["success"] == "True"
    assert by_job["apd_seed=0"]["success"] == "False"  # ML2R 0.89: shrinkage fails 0.95
    assert by_job["apd_seed=3"]["status"] == "missing"
    assert by_job["spd_seed=0,beta=1e-3"]["method.coeffs.importance_minimality"] == "1e-3"
    md = written["md"].read_text()
    assert "8 jobs, 3 successful (38%)" in md
    # β3 = 1e-3: 1 of 2 seeds, 3e-3: 2 of 2
    assert "| spd | 1e-3 | 2 | 1 | 0.5 |" in md and "| spd | 3e-3 | 2 | 2 | 1 |" in md
    assert "| apd | 2 | 1 | 0 | 0 |" in md  # seed 2: the failed APD job, no successes
    assert "## Failed jobs (2)" in md
    assert "`apd_seed=2` (failed): NonFiniteLossError: APD loss became nan" in md
    assert "`apd_seed=3` (missing): no metrics.json (job did not finish)" in md
    assert written["plot:method.coeffs.importance_minimality"].stat().st_size > 0
    assert "plot:seed" not in written  # seeds are what the rates are taken over
    assert "plot:experiment" not in written  # it only tells the methods apart
    assert "## Success rate by experiment" not in md


def test_command_line_writes_into_out_and_rejects_empty_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep = _sweep(tmp_path / "sweep")
    main([str(sweep), "--out", str(tmp_path / "summary"), "--criterion", "spd_tms"])
    assert "8 jobs, 3 successful" in (tmp_path / "summary" / "sweep_summary.md").read_text()
    assert "csv:" in capsys.readouterr().out
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit):
        main([str(tmp_path / "empty")])
    assert "no jobs" in capsys.readouterr().err


def test_without_a_criterion_the_summary_reports_means_of_the_shared_metrics(
    tmp_path: Path,
) -> None:
    sweep = _sweep(tmp_path / "sweep")
    written = summarize(sweep)
    md = written["md"].read_text()
    assert md.splitlines()[2] == "8 jobs"
    assert "success" not in md
    # the metrics every finished job reports are the headline; means per value of the key
    header = "| job | method | status | method.coeffs.importance_minimality | seed | ml2r | mmcs |"
    assert header + " target_solution_error |" in md
    assert "## Means by method.coeffs.importance_minimality" in md
    # beta 1e-3: mmcs 0.999 (seed 0) and 0.9 (seed 1)
    assert "| spd | 1e-3 | 2 | 1 | 0.9495 | 0 |" in md
    with written["csv"].open() as handle:
        assert "success" not in next(csv.reader(handle))
    png = written["plot:method.coeffs.importance_minimality"].read_bytes()
    assert png[:4] == b"\x89PNG"


def test_asked_metrics_must_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sweep = _sweep(tmp_path / "sweep")
    md = summarize(sweep, metrics=["ml2r"])["md"].read_text()
    assert "| spd | 1e-3 | 2 | 1 |" in md
    with pytest.raises(SystemExit):
        main([str(sweep), "--metrics", "latency"])
    assert "metrics ['latency'] are in no job" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("sweep", "key"),
    [("spd_robustness", "method.coeffs.importance_minimality"), ("apd_robustness", "method.topk")],
)
def test_sweep_configs_set_the_sweeper_grid_only(sweep: str, key: str) -> None:
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(config_name="config", overrides=[f"sweep={sweep}"], return_hydra_config=True)
    params = cfg.hydra.sweeper.params
    assert params.seed == "0,1,2,3,4"
    assert len(str(params[key]).split(",")) == 3
    assert str(cfg.hydra.mode) in ("None", "RunMode.RUN")  # the group must not set the mode
