"""Every benchmark and study script refuses a count outside what it allows before any work, with
argparse's error naming the option, the value and what is allowed (exit 2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("script", "arguments", "message"),
    [
        (
            "benchmarks/spd_lm_throughput.py",
            ["--blocks", "0"],
            "--blocks: 0: allowed an integer >= 1",
        ),
        (
            "benchmarks/spd_lm_throughput.py",
            ["--block-seconds", "-1"],
            "--block-seconds: '-1': allowed a finite number > 0",
        ),
        ("benchmarks/spd_lm_throughput.py", ["--batch", "-4"], "--batch: -4: allowed an integer"),
        ("benchmarks/gw_pairs.py", ["--n", "1000", "1"], "--n: 1: allowed an integer >= 2"),
        ("benchmarks/gw_pairs.py", ["--pot-batch-pairs", "0"], "--pot-batch-pairs: 0: allowed"),
        ("benchmarks/bimt_throughput.py", ["--relocations", "0"], "--relocations: 0: allowed"),
        ("benchmarks/circuit_discovery.py", ["--tau-mnist", "0"], "--tau-mnist: '0': allowed a"),
        ("benchmarks/sweep_parallel.py", ["--n-jobs", "0"], "--n-jobs: '0': allowed -1"),
        ("scripts/seed_study.py", ["--n-jobs", "0"], "--n-jobs: '0': allowed -1"),
        ("scripts/robustness_study.py", ["--seeds", "0,x"], "--seeds: '0,x': allowed comma"),
    ],
)
def test_a_bad_count_stops_before_work(script: str, arguments: list[str], message: str) -> None:
    path = REPO / script
    if not path.is_file():
        pytest.fail(f"{script} is gone: update this test")
    proc = subprocess.run(
        [sys.executable, str(path), *arguments], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
