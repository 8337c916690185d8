import csv
import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[4] / "scripts" / "summarize_circuit_study.py"


def load_script():
    spec = importlib.util.spec_from_file_location("summarize_circuit_study", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def write_job(root: Path, number: int, overrides: list[str], metrics: dict | None) -> None:
    job = root / str(number)
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
    if metrics is not None:
        (job / "metrics.json").write_text(json.dumps(metrics))


@pytest.fixture
def sweep(tmp_path: Path) -> Path:
    """3 train types x 2 seeds, plus a failed bimt job and an l1 job that wrote nothing."""
    root = tmp_path / "multirun"
    values = {
        ("vanilla", 0): (0.30, 400, 2.0),
        ("vanilla", 1): (0.50, 420, 3.0),
        ("l1", 0): (0.10, 40, 1.0),
        ("l1", 1): (0.20, 44, 1.5),
        ("bimt", 0): (0.05, 20, 0.5),
        ("bimt", 1): (0.07, 24, 0.7),
    }
    for number, ((kind, seed), (faith, edges, seconds)) in enumerate(values.items()):
        write_job(
            root,
            number,
            [f"train_type={kind}", f"seed={seed}", "dataset=symbolic"],
            {
                "status": "ok",
                "faithfulness": faith,
                "edges_kept": edges,
                "discovery_time_s": seconds,
                "converged": True,
            },
        )
    write_job(
        root,
        6,
        ["train_type=bimt", "seed=2", "dataset=symbolic"],
        {"status": "failed", "error": "diverged"},
    )
    write_job(root, 7, ["train_type=l1", "seed=2", "dataset=symbolic"], None)
    (root / "multirun.yaml").write_text("hydra: {}\n")
    return root


def test_summary_table_holds_mean_and_std_over_seeds(sweep: Path, capsys):
    assert load_script().main([str(sweep)]) == 0
    table = (sweep / "circuit_study.md").read_text().splitlines()
    assert table[0] == "| group | n | failed | faithfulness | edges_kept | discovery_time_s |"
    rows = {line.split(" | ")[0].strip("| "): line for line in table[2:]}
    assert set(rows) == {"train_type=vanilla", "train_type=l1", "train_type=bimt"}
    # vanilla: mean 0.4, sample std sqrt(0.02) = 0.1414; edges 410 ± 14.14
    assert rows["train_type=vanilla"] == (
        "| train_type=vanilla | 2 | 0 | 0.4 ± 0.1414 | 410 ± 14.14 | 2.5 ± 0.7071 |"
    )
    assert "| train_type=bimt | 2 | 1 | 0.06 ± 0.01414 |" in rows["train_type=bimt"]
    assert "| train_type=l1 | 2 | 1 |" in rows["train_type=l1"]
    assert "train_type=vanilla" in capsys.readouterr().out


def test_summary_csv_and_plot_are_written_next_to_the_sweep(sweep: Path):
    load_script().main([str(sweep), "--metrics", "edges_kept,faithfulness"])
    with (sweep / "circuit_study.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    bimt = next(r for r in rows if r["group"] == "train_type=bimt")
    assert float(bimt["edges_kept_mean"]) == pytest.approx(22.0)
    assert float(bimt["edges_kept_std"]) == pytest.approx(2.8284271)
    assert list(rows[0]) == [
        "group",
        "n",
        "failed",
        "edges_kept_mean",
        "edges_kept_std",
        "faithfulness_mean",
        "faithfulness_std",
    ]
    png = (sweep / "circuit_study.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_summary_rejects_unknown_metrics_and_empty_folders(sweep: Path, tmp_path: Path):
    script = load_script()
    with pytest.raises(ValueError, match=r"metrics \['latency'\] are in no job"):
        script.main([str(sweep), "--metrics", "latency"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no job folders"):
        script.main([str(empty)])
