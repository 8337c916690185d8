"""benchmarks/spd_throughput.py measures with the thread count of the published figures."""

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "spd_throughput.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("spd_throughput", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_default_threads_are_those_of_the_published_figures() -> None:
    parser = _script().argument_parser()
    assert parser.parse_args([]).threads == 1
    assert parser.parse_args(["--threads", "0"]).threads == 0  # torch's own choice, on request
    assert "default 1" in " ".join(parser.format_help().split())
    assert "1 thread" in (SCRIPT.parents[1] / "docs" / "results.md").read_text()


def test_a_negative_thread_count_is_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--threads", "-2"], capture_output=True, text=True
    )
    assert proc.returncode == 1 and proc.stderr.strip().splitlines() == [
        "--threads=-2: allowed 0 (torch's choice) or a positive count"
    ]
