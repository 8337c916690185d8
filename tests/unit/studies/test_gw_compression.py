"""``study=gw_compression``: train / gw / finetune stages, removal curves on the target."""

import json
from pathlib import Path

import pytest
import torch

from subnetlab.lifecycle import stages
from subnetlab.lifecycle.outputs import read_metrics
from subnetlab.lifecycle.runner import run
from subnetlab.lifecycle.targets import save_target
from subnetlab.models.transformer import Transformer
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.models import TransformerSchema
from tests.conftest import QUIET_RUN, tiny_transformer
from tests.e2e.test_resume_and_failures import CrashAtStep

TINY = [
    "experiment=gw_compression",
    *tiny_transformer(n_layers=4, train_steps=60),
    "method.probe_size=40",
    "study.random_draws=3",
    "study.finetune_steps=6",
    "callbacks.checkpoint_every_n_steps=2",
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
    # the GW analysis is a method=gw stage on the target the train stage wrote
    groups = json.loads((tmp_path / "run" / "gw" / "groups.json").read_text())
    gw_stage = json.loads((tmp_path / "run" / "gw" / "metrics.json").read_text())
    assert m["n_groups"] == gw_stage["n_groups"] == groups["n_groups"]
    assert (tmp_path / "run" / "train" / "target.pt").is_file()
    segments = groups["segments"]
    interior = sum(segments[i] == segments[i - 1] for i in range(1, 4))
    assert m["compression/interior_blocks"] == interior
    # one fine-tuning stage per contiguous group plus all; a group trains fewer parameters
    labels = [r["label"] for r in record["finetune"]]
    assert labels == [f"group {g}" for g in sorted(set(segments))] + ["all"]
    for g in sorted(set(segments)):
        stage = json.loads((tmp_path / "run" / f"finetune_group={g}" / "metrics.json").read_text())
        assert (
            stage["method"] == "finetune"
            and m[f"finetune/group{g}/accuracy"] == stage["test_accuracy"]
        )
    assert m["finetune/group0/trainable_params"] < m["finetune/all/trainable_params"]
    per_block = 2 * (16 + 16) + (16 * 48 + 48) + (16 * 16 + 16) + (16 * 32 + 32) + (32 * 16 + 16)
    assert m["finetune/group0/trainable_params"] == per_block * segments.count(0)
    assert (tmp_path / "run" / "compression.md").read_text().startswith("| blocks removed")
    assert {"compression", "finetune"} <= {p.stem for p in (tmp_path / "run" / "figures").iterdir()}


def test_trainer_max_steps_bounds_every_fine_tuning_stage(composed, tmp_path: Path) -> None:
    result = run(composed([*TINY, "trainer.max_steps=3"]), tmp_path / "run")
    assert result.status == "ok", result.error
    finetunes = sorted((tmp_path / "run").glob("finetune_*"))
    assert len(finetunes) >= 2
    for stage in finetunes:
        ckpt = torch.load(stage / "checkpoints" / "last.ckpt", weights_only=False)
        assert ckpt["global_step"] == 3, stage.name


def test_a_study_killed_inside_a_stage_resumes_it_and_ends_with_the_same_metrics(
    composed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = composed(TINY)
    uninterrupted = run(raw, tmp_path / "a")
    assert uninterrupted.status == "ok", uninterrupted.error

    real_run = stages.run_to_completion
    resumed_stages: list[str] = []

    def crash_in_finetune_all(stage_raw: dict, stage_dir: Path, extra_callbacks=()):
        if stage_dir.name == "finetune_all":
            extra_callbacks = [CrashAtStep(3)]
        return real_run(stage_raw, stage_dir, extra_callbacks)

    def record_resumes(stage_raw: dict, stage_dir: Path, extra_callbacks=()):
        previous = read_metrics(stage_dir)
        unfinished = previous is None or previous.get("status") != "ok"
        if unfinished and (stage_dir / "checkpoints" / "last.ckpt").is_file():
            resumed_stages.append(stage_dir.name)
        return real_run(stage_raw, stage_dir, extra_callbacks)

    monkeypatch.setattr(stages, "run_to_completion", crash_in_finetune_all)
    killed = run(raw, tmp_path / "b")
    assert killed.status == "failed" and "finetune_all" in (killed.error or "")
    ckpt = torch.load(tmp_path / "b/finetune_all/checkpoints/last.ckpt", weights_only=False)
    assert ckpt["global_step"] == 2

    monkeypatch.setattr(stages, "run_to_completion", record_resumes)
    resumed = run(raw, tmp_path / "b")
    assert resumed.status == "ok", resumed.error
    assert resumed_stages == ["finetune_all"]  # finished stages are reused, not resumed or redone
    timings = ("wall_time_s", "solver_time_s")
    assert {k: v for k, v in resumed.metrics.items() if k not in timings} == {
        k: v for k, v in uninterrupted.metrics.items() if k not in timings
    }


def test_a_given_target_is_used_without_a_training_stage(composed, tmp_path: Path) -> None:
    torch.manual_seed(0)
    arch = TransformerSchema(vocab_size=8, n_ctx=3, d_model=16, n_heads=2, d_mlp=32, n_layers=4)
    save_target(tmp_path / "target.pt", Transformer(8, 3, 16, 2, 32, 4), arch, {})
    overrides = [*TINY, f"target.ckpt={tmp_path / 'target.pt'}", "study.random_draws=1"]
    result = run(composed(overrides), tmp_path / "run")
    assert result.status == "ok", result.error
    assert not (tmp_path / "run" / "train").exists()
    assert result.metrics["n_layers"] == 4.0


def test_a_dataset_that_is_not_a_sequence_task_is_refused_before_any_stage(
    composed, tmp_path: Path
) -> None:
    overrides = ["experiment=gw_compression", "model=mlp_digits", "dataset=digits", *QUIET_RUN]
    with pytest.raises(ConfigError, match="a sequence dataset"):
        run(composed(overrides), tmp_path / "run")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["metrics.json"]
