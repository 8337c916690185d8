"""The circuit-study summary on synthetic multirun folders (numbers worked out by hand)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from subnetlab.sweeps.circuit_study_summary import (
    Comparison,
    Group,
    main,
    regime_of,
    summarize_circuit_study,
    varying_metrics,
)
from tests.conftest import REPO


def write_job(root: Path, name: str, overrides: list[str], metrics: dict | None) -> Path:
    job = root / name
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
    if metrics is not None:
        (job / "metrics.json").write_text(json.dumps(metrics))
    return job


@pytest.fixture
def sweep(tmp_path: Path) -> Path:
    """3 train types x 2 seeds, plus a failed bimt job and an l1 job that wrote nothing."""
    root = tmp_path / "multirun"
    values = {  # (faithfulness, edges, discovery seconds)
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
            str(number),
            [f"study.train.train_type={kind}", f"seed={seed}", "dataset=symbolic"],
            {
                "status": "ok",
                "faithfulness": faith,
                "edges_kept": edges,
                "discovery_time_s": seconds,
                "node_tpr": 1.0,
                "peak_train_memory_mb": 10.0 + seed,
                "seed": seed,
                "converged": True,
            },
        )
    write_job(
        root,
        "6",
        ["study.train.train_type=bimt", "seed=2", "dataset=symbolic"],
        {"status": "failed", "error": "diverged"},
    )
    write_job(root, "7", ["study.train.train_type=l1", "seed=2", "dataset=symbolic"], None)
    (root / "multirun.yaml").write_text("hydra: {}\n")
    return root


def _rows(table: list[str]) -> dict[str, str]:
    return {line.split(" | ")[0].strip("| "): line for line in table[2 : table.index("")]}


def test_the_table_shows_the_headline_columns_mean_and_std_over_seeds(sweep: Path):
    written = summarize_circuit_study(sweep)
    table = written["md"].read_text().splitlines()
    # no averaged seed, no memory column: those are in the CSV only
    assert table[0] == (
        "| group | n | failed | faithfulness | edges_kept | node_tpr | discovery_time_s |"
    )
    rows = _rows(table)
    assert set(rows) == {f"study.train.train_type={k}" for k in ("vanilla", "l1", "bimt")}
    # vanilla: mean 0.4, sample std sqrt(0.02) = 0.1414; edges 410 ± 14.14
    assert rows["study.train.train_type=vanilla"] == (
        "| study.train.train_type=vanilla | 2 | 0 | 0.4 ± 0.1414 | 410 ± 14.14 | 1 ± 0 | "
        "2.5 ± 0.7071 |"
    )
    assert (
        "| study.train.train_type=bimt | 2 | 1 | 0.06 ± 0.01414 |"
        in rows["study.train.train_type=bimt"]
    )
    assert "| study.train.train_type=l1 | 2 | 1 |" in rows["study.train.train_type=l1"]
    with written["csv"].open() as handle:
        csv_rows = list(csv.DictReader(handle))
    assert "seed_mean" not in csv_rows[0]
    bimt = next(r for r in csv_rows if r["group"] == "study.train.train_type=bimt")
    assert float(bimt["edges_kept_mean"]) == pytest.approx(22.0)
    assert float(bimt["edges_kept_std"]) == pytest.approx(2.8284271)
    assert float(bimt["peak_train_memory_mb_mean"]) == pytest.approx(10.5)
    assert written["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_verdict_follows_from_the_numbers(sweep: Path):
    md = summarize_circuit_study(sweep)["md"].read_text()
    # vanilla 410 edges, bimt 22: 18.64x; faithfulness 0.4 vs 0.06: 85 % more faithful
    assert (
        "**Verdict at the configured tau: the criterion holds.** bimt circuits keep 18.64x "
        "fewer edges than vanilla's and are 85 % more faithful" in md
    )
    assert "| configured tau | 410 | 22 | 18.64x | 0.4 | 0.06 | -85 % | holds |" in md
    # against l1 (42 edges, 0.15): 1.91x fewer edges is below the factor 5
    md = summarize_circuit_study(sweep, baseline="l1")["md"].read_text()
    assert "the criterion does not hold.** bimt circuits keep 1.91x fewer edges" in md
    assert not (sweep / "circuit_study_sweep.md").exists()  # no job swept tau


@pytest.mark.parametrize(
    ("contender_faithfulness", "change", "holds"),
    [(0.109, 0.09, True), (0.111, 0.11, False), (0.05, -0.5, True)],
)
def test_only_worse_faithfulness_beyond_ten_percent_fails(contender_faithfulness, change, holds):
    point = Comparison("here", 100.0, 10.0, 0.1, contender_faithfulness)
    assert point.edge_ratio == 10.0
    assert point.faithfulness_change == pytest.approx(change)
    assert point.holds is holds
    assert Comparison("here", 100.0, 25.0, 0.1, 0.05).holds is False  # 4x fewer edges only
    # a baseline exactly at the full model: any loss of faithfulness is infinitely worse
    assert Comparison("here", 100.0, 10.0, 0.0, 0.01).holds is False
    assert Comparison("here", 100.0, 10.0, 0.0, 0.0).holds is True


def test_constant_metrics_get_no_bar_panel():
    groups = [
        Group("a", "vanilla", {"node_tpr": [1.0, 1.0], "edges_kept": [400.0, 420.0]}),
        Group("b", "bimt", {"node_tpr": [1.0], "edges_kept": [20.0]}),
    ]
    assert varying_metrics(groups, ["node_tpr", "edges_kept"]) == ["edges_kept"]


def test_the_regime_is_read_from_either_key():
    assert regime_of({"study.train.train_type": "bimt", "seed": "0"}) == "bimt"
    assert regime_of({"method.train.train_type": "l1"}) == "l1"
    assert regime_of({"seed": "0"}) is None


def test_a_study_run_with_stage_folders_is_one_job_with_its_stage_sweep(tmp_path: Path):
    root = tmp_path / "multirun"
    # (edges, faithfulness) at tau 0.01 and 0.1 per regime and seed
    sweeps = {
        ("vanilla", 0): [(500, 0.10), (300, 0.50)],
        ("vanilla", 1): [(520, 0.12), (320, 0.70)],
        ("bimt", 0): [(50, 0.105), (20, 0.20)],
        ("bimt", 1): [(54, 0.115), (24, 0.30)],
    }
    for number, ((kind, seed), rows) in enumerate(sweeps.items()):
        job = write_job(
            root,
            str(number),
            [f"method.train.train_type={kind}", f"seed={seed}"],
            {"status": "ok", "faithfulness": rows[0][1], "edges_kept": rows[0][0]},
        )
        for stage in ("train", "circuit"):  # each stage is a run with its own metrics.json
            (job / stage).mkdir()
            (job / stage / "metrics.json").write_text(json.dumps({"status": "ok"}))
        sweep_rows = [
            {"tau": tau, "edges_kept": e, "faithfulness": f, "task_accuracy": 1.0}
            for tau, (e, f) in zip((0.01, 0.1), rows, strict=True)
        ]
        (job / "circuit" / "circuit_sweep.json").write_text(json.dumps(sweep_rows))
    written = summarize_circuit_study(root)
    table = written["md"].read_text()
    assert "| method.train.train_type=vanilla | 2 | 0 |" in table  # 2 jobs, not 6
    # tau 0.01: 510 vs 52 edges = 9.81x at equal faithfulness 0.11 -> holds
    assert "| tau=0.01 | 510 | 52 | 9.81x | 0.11 | 0.11 | +0 % | holds |" in table
    # tau 0.1: 310 vs 22 = 14.09x and bimt more faithful (0.25 vs 0.6) -> holds
    assert "| tau=0.1 | 310 | 22 | 14.09x | 0.6 | 0.25 | -58 % | holds |" in table
    assert "| matched tau=0.01 vs tau=0.01 | 510 | 52 | 9.81x | 0.11 | 0.11 | +0 % | holds |" in (
        table
    )
    assert "Matched over the tau sweep: holds at 2 of 2 swept vanilla thresholds." in table
    sweep_table = written["sweep_md"].read_text().splitlines()
    assert sweep_table[0] == "| group | tau | n | edges_kept | faithfulness | task_accuracy |"
    assert (
        "| method.train.train_type=bimt | 0.1 | 2 | 22 ± 2.828 | 0.25 ± 0.07071 | 1 ± 0 |"
        in sweep_table
    )
    with written["sweep_csv"].open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 4 and float(rows[0]["edges_kept_mean"]) == pytest.approx(510.0)
    assert written["sweep_png"].read_bytes()[:4] == b"\x89PNG"


def test_matched_row_says_when_no_contender_circuit_is_as_faithful(tmp_path: Path):
    root = tmp_path / "multirun"
    for number, (kind, faith) in enumerate((("vanilla", 0.01), ("bimt", 0.5))):
        job = write_job(
            root, str(number), [f"train_type={kind}", "seed=0"], {"faithfulness": faith}
        )
        row = {"tau": 0.1, "edges_kept": 100 - 90 * number, "faithfulness": faith}
        (job / "circuit_sweep.json").write_text(json.dumps([row]))
    table = summarize_circuit_study(root)["md"].read_text()
    assert "| matched tau=0.1 | 100 | n/a | n/a | 0.01 | n/a | n/a | does not hold |" in table
    assert "| tau=0.1 | 100 | 10 | 10.00x | 0.01 | 0.5 | +4900 % | does not hold |" in table


def test_unknown_metrics_and_empty_folders_are_one_line_errors(sweep, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main([str(sweep), "--metrics", "latency"])
    assert "metrics ['latency'] are in no job" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SystemExit):
        main([str(empty)])
    assert "no jobs in" in capsys.readouterr().err


def test_the_script_is_a_thin_wrapper(sweep: Path, tmp_path: Path):
    out = tmp_path / "summary"
    path = os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "summarize_circuit_study.py"), str(sweep)]
        + ["--metrics", "edges_kept,faithfulness", "--out", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": path},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("| group | n | failed | edges_kept | faithfulness |")
    assert (out / "circuit_study.csv").is_file() and not (sweep / "circuit_study.md").exists()


def test_the_figures_carry_a_provenance_footer(sweep: Path, monkeypatch) -> None:
    from subnetlab.analysis import figure_files
    from subnetlab.sweeps import circuit_study_summary

    footers: list[str] = []

    def recording(figure, text: str) -> None:
        footers.append(text)
        figure_files.add_footer(figure, text)

    monkeypatch.setattr(circuit_study_summary, "add_footer", recording)
    written = summarize_circuit_study(sweep)
    assert "png" in written and footers
    assert all(f.startswith(f"{sweep.parent.name}/{sweep.name} · circuit study") for f in footers)
