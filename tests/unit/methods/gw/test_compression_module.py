import json
from pathlib import Path

from subnetlab.lifecycle.runner import run
from tests.conftest import QUIET_RUN, tiny_transformer

TINY = [
    "experiment=gw_compression",
    *tiny_transformer(n_layers=4, train_steps=60),
    "method.probe_size=40",
    "method.downstream.random_draws=3",
    "method.downstream.finetune_steps=5",
    *QUIET_RUN,
]


def test_compression_run_reports_curves_and_finetuning(composed, tmp_path: Path) -> None:
    result = run(composed(TINY), tmp_path / "run")
    assert result.status == "ok", result.error
    m = result.metrics
    record = json.loads((tmp_path / "run" / "compression.json").read_text())
    curves = record["curves"]
    assert record["metric"] == "accuracy" and curves["removed"] == [0, 1, 2, 3]
    # removing zero blocks is the full model, whatever the strategy
    full = m["compression/full_accuracy"]
    assert curves["gw"][0] == curves["random_mean"][0] == curves["contiguous_mean"][0] == full
    assert m["compression/gw/0"] == full and 0.0 <= full <= 1.0
    groups = json.loads((tmp_path / "run" / "groups.json").read_text())
    segments = groups["segments"]
    interior = sum(segments[i] == segments[i - 1] for i in range(1, 4))
    assert m["compression/interior_blocks"] == interior
    # one fine-tuning per contiguous group plus all; a group trains fewer parameters than all
    labels = [r["label"] for r in record["finetune"]]
    assert labels == [f"group {g}" for g in sorted(set(segments))] + ["all"]
    assert m["finetune/group0/trainable_params"] < m["finetune/all/trainable_params"]
    per_block = 2 * (16 + 16) + (16 * 48 + 48) + (16 * 16 + 16) + (16 * 32 + 32) + (32 * 16 + 16)
    assert m["finetune/group0/trainable_params"] == per_block * segments.count(0)
    assert (tmp_path / "run" / "compression.md").read_text().startswith("| blocks removed")
    assert {"compression", "finetune"} <= {p.stem for p in (tmp_path / "run" / "figures").iterdir()}
