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
    rows = {line.split(" | ")[0].strip("| "): line for line in table[2 : table.index("")]}
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


def test_headline_states_the_edge_ratio_and_faithfulness_gap(sweep: Path):
    load_script().main([str(sweep)])
    table = (sweep / "circuit_study.md").read_text()
    # vanilla 410 edges, bimt 22: 18.64x; faithfulness 0.4 vs 0.06: gap 0.34 / 0.4 = 85 %
    assert "| configured tau | 410 | 22 | 18.64x | 0.4 | 0.06 | 85 % | does not hold |" in table
    assert not (sweep / "circuit_study_sweep.md").exists()  # no job swept tau


def test_tau_sweeps_get_their_own_table_and_the_criterion_per_tau(tmp_path: Path, capsys):
    root = tmp_path / "multirun"
    # (edges, faithfulness) at tau 0.01 and 0.1 per regime and seed
    sweeps = {
        ("vanilla", 0): [(500, 0.10), (300, 0.50)],
        ("vanilla", 1): [(520, 0.12), (320, 0.70)],
        ("bimt", 0): [(50, 0.105), (20, 0.20)],
        ("bimt", 1): [(54, 0.115), (24, 0.30)],
    }
    for number, ((kind, seed), rows) in enumerate(sweeps.items()):
        write_job(
            root,
            number,
            [f"study.train.train_type={kind}", f"seed={seed}"],
            {"status": "ok", "faithfulness": rows[0][1], "edges_kept": rows[0][0]},
        )
        sweep_rows = [
            {"tau": tau, "edges_kept": e, "faithfulness": f, "task_accuracy": 1.0}
            for tau, (e, f) in zip((0.01, 0.1), rows, strict=True)
        ]
        stage = root / str(number) / "circuit"  # a study job keeps it in its circuit stage
        stage.mkdir()
        (stage / "circuit_sweep.json").write_text(json.dumps(sweep_rows))
    load_script().main([str(root)])
    table = (root / "circuit_study.md").read_text()
    # tau 0.01: 510 vs 52 edges = 9.81x, faithfulness 0.11 vs 0.11: gap 0 % -> holds
    assert "| tau=0.01 | 510 | 52 | 9.81x | 0.11 | 0.11 | 0 % | holds |" in table
    # tau 0.1: 310 vs 22 = 14.09x but 0.6 vs 0.25: gap 58 % -> does not hold
    assert "| tau=0.1 | 310 | 22 | 14.09x | 0.6 | 0.25 | 58 % | does not hold |" in table
    # matched: the sparsest bimt circuit at most 10 % less faithful than vanilla's at each tau
    assert (
        "| matched tau=0.01 vs tau=0.01 | 510 | 52 | 9.81x | 0.11 | 0.11 | ≤ +10 % | holds |"
        in table
    )
    assert "| matched tau=0.1 vs tau=0.1 | 310 | 22 | 14.09x | 0.6 | 0.25 |" in table
    sweep_table = (root / "circuit_study_sweep.md").read_text().splitlines()
    assert sweep_table[0] == "| group | tau | n | edges_kept | faithfulness | task_accuracy |"
    assert (
        "| study.train.train_type=bimt | 0.1 | 2 | 22 ± 2.828 | 0.25 ± 0.07071 | 1 ± 0 |"
        in sweep_table
    )
    with (root / "circuit_study_sweep.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 4 and float(rows[0]["edges_kept_mean"]) == pytest.approx(510.0)
    assert (root / "circuit_study_sweep.png").read_bytes()[:4] == b"\x89PNG"
    assert "tau=0.01" in capsys.readouterr().out


def test_matched_row_says_when_no_contender_circuit_is_as_faithful(tmp_path: Path):
    root = tmp_path / "multirun"
    for number, (kind, faith) in enumerate((("vanilla", 0.01), ("bimt", 0.5))):
        write_job(root, number, [f"train_type={kind}", "seed=0"], {"faithfulness": faith})
        row = {"tau": 0.1, "edges_kept": 100 - 90 * number, "faithfulness": faith}
        (root / str(number) / "circuit_sweep.json").write_text(json.dumps([row]))
    load_script().main([str(root)])
    table = (root / "circuit_study.md").read_text()
    assert "| matched tau=0.1 | 100 | n/a | n/a | 0.01 | n/a | n/a | does not hold |" in table
