import json
from pathlib import Path

import pytest

from subnetlab.sweeps.convergence import (
    convergence_figure,
    eval_history,
    group_curves,
    success_curve,
)
from subnetlab.sweeps.jobs import find_jobs
from subnetlab.sweeps.spd_criterion import MECHANISMS_RECOVERED, TMS_RECOVERY

HEADER = "eval/mmcs,eval/ml2r,eval/target_solution_error,step,train/loss/total\n"


def _job(root: Path, name: str, overrides: list[str], rows: list[str], final: dict) -> None:
    folder = root / name
    (folder / ".hydra").mkdir(parents=True)
    (folder / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
    (folder / "csv").mkdir()
    (folder / "csv" / "metrics.csv").write_text(HEADER + "".join(r + "\n" for r in rows))
    (folder / "metrics.json").write_text(json.dumps({"status": "ok", "method": "apd", **final}))


def _sweep(root: Path) -> Path:
    # seed 0 recovers the mechanisms from step 2000, seed 1 only at the end; both shrunk (APD)
    _job(
        root,
        "seed=0",
        ["seed=0", "method.topk=0.2"],
        [",,,5,0.1", "0.95,0.8,3,1000,", "0.999,0.88,0,2000,"],
        {"mmcs": 0.999, "ml2r": 0.89, "target_solution_error": 0.0},
    )
    _job(
        root,
        "seed=1",
        ["seed=1", "method.topk=0.2"],
        ["0.9,0.5,9,1000,", "0.97,0.8,4,2000,"],
        {"mmcs": 0.998, "ml2r": 0.9, "target_solution_error": 0.0},
    )
    return root


def test_history_reads_the_evaluations_and_ends_with_the_final_metrics(tmp_path: Path) -> None:
    jobs = find_jobs(_sweep(tmp_path))
    history = eval_history(jobs[0])
    assert list(history) == [1000, 2000, 3000]  # the final metrics one eval spacing later
    assert history[1000] == {"mmcs": 0.95, "ml2r": 0.8, "target_solution_error": 3.0}
    assert history[3000]["ml2r"] == 0.89


def test_success_rate_by_step_per_criterion(tmp_path: Path) -> None:
    jobs = find_jobs(_sweep(tmp_path))
    assert success_curve(jobs, MECHANISMS_RECOVERED) == [(1000, 0.0), (2000, 0.5), (3000, 1.0)]
    # with ML2R in [0.95, 1.05] the shrunk columns never pass
    assert success_curve(jobs, TMS_RECOVERY) == [(1000, 0.0), (2000, 0.0), (3000, 0.0)]
    curves = group_curves(jobs, "method.topk", MECHANISMS_RECOVERED)
    assert list(curves) == ["apd topk=0.2"]
    fig = convergence_figure(curves, MECHANISMS_RECOVERED, "study")
    assert fig.axes[0].lines[0].get_ydata().tolist() == [0.0, 0.5, 1.0]


def test_a_sweep_without_csv_logs_has_nothing_to_draw(tmp_path: Path) -> None:
    folder = tmp_path / "seed=0"
    folder.mkdir()
    (folder / "metrics.json").write_text(json.dumps({"status": "ok", "mmcs": 1.0}))
    jobs = find_jobs(tmp_path)
    assert eval_history(jobs[0]) == {} and success_curve(jobs, TMS_RECOVERY) == []
    with pytest.raises(ValueError, match="logger=csv"):
        convergence_figure({"spd": []}, TMS_RECOVERY, "study")
