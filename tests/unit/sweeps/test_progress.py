"""The sweep's closing summary read from its job folders, and the study's sweep output relay."""

import json
import sys
from pathlib import Path

from subnetlab.sweeps.progress import SWEEP_LOGGER, summary_lines
from subnetlab.sweeps.robustness_study import launch_sweep


def _job(sweep: Path, name: str, record: dict | None) -> None:
    folder = sweep / name
    (folder / ".hydra").mkdir(parents=True)
    (folder / ".hydra" / "overrides.yaml").write_text(f"- {name}\n")
    if record is not None:
        (folder / "metrics.json").write_text(json.dumps(record))


def test_the_summary_counts_jobs_by_status_and_names_the_folder_and_errors(tmp_path: Path) -> None:
    _job(tmp_path, "seed=0", {"status": "ok", "loss": 0.1})
    _job(tmp_path, "seed=1", {"status": "ok", "loss": 0.2})
    _job(tmp_path, "seed=2", {"status": "failed", "error": "ValueError: loss became nan\nat 3"})
    _job(tmp_path, "seed=3", None)
    lines = summary_lines(tmp_path, seconds=75.0)
    assert lines[0] == f"sweep done in 01:15: 4 jobs, 2 ok, 1 failed, 1 missing; folder {tmp_path}"
    assert lines[1] == "  failed: seed=2: ValueError: loss became nan at 3"
    assert lines[2] == "  missing: seed=3: no metrics.json (job did not finish)"
    assert len(lines) == 3


def test_a_sweep_folder_without_jobs_says_so(tmp_path: Path) -> None:
    assert summary_lines(tmp_path) == [f"sweep done: 0 jobs, 0 ok, 0 failed; folder {tmp_path}"]


def test_the_study_relays_job_lines_and_keeps_the_whole_output(tmp_path: Path, capsys) -> None:
    script = (
        "print('config tree and tables');"
        f"print('[2026-01-01 10:00:00,000][{SWEEP_LOGGER}][INFO] - job 0 (seed=0) started');"
        "print('final metrics')"
    )
    log_file = tmp_path / "spd_sweep.log"
    _, process, reader = launch_sweep("spd", [sys.executable, "-c", script], log_file, 0.0)
    assert process.wait() == 0
    reader.join()
    relayed = capsys.readouterr().out.splitlines()
    assert len(relayed) == 1 and relayed[0].endswith("] spd: job 0 (seed=0) started")
    assert log_file.read_text().splitlines()[0] == "config tree and tables"
    assert len(log_file.read_text().splitlines()) == 3
