"""``method=finetune`` through the runner on a tiny transformer target saved by the test."""

from pathlib import Path

import pytest
import torch

from subnetlab.data.sequence_tasks import SequenceDataModule
from subnetlab.lifecycle.runner import run
from subnetlab.lifecycle.targets import load_target, save_target
from subnetlab.methods.base import RunContext
from subnetlab.methods.finetune.module import FinetuneModule, trainable_modules
from subnetlab.models.tms import TMS
from subnetlab.models.transformer import Transformer
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.datasets import ModularAdditionSeqSchema
from subnetlab.schemas.finetune import FinetuneSchema
from subnetlab.schemas.models import TMSSchema, TransformerSchema
from subnetlab.training.sequence_training import evaluate
from tests.conftest import QUIET_RUN, tiny_transformer
from tests.e2e.test_resume_and_failures import CrashAtStep

ARCH = TransformerSchema(vocab_size=8, n_ctx=3, d_model=16, n_heads=2, d_mlp=32, n_layers=3)


def _target(folder: Path) -> Transformer:
    torch.manual_seed(0)
    model = Transformer(8, 3, 16, 2, 32, 3)
    save_target(folder / "target.pt", model, ARCH, {})
    return model


def _overrides(folder: Path, *extra: str) -> list[str]:
    return [
        "method=finetune",
        "model=transformer",
        *tiny_transformer(n_layers=3, train_steps=20),
        f"target.ckpt={folder / 'target.pt'}",
        "method.steps=12",
        "method.lr=0.01",
        "method.label_shift=1",
        "callbacks.checkpoint_every_n_steps=4",
        *QUIET_RUN,
        *extra,
    ]


def test_only_the_chosen_block_changes(composed, tmp_path: Path) -> None:
    original = _target(tmp_path)
    result = run(composed(_overrides(tmp_path, "method.trainable=[blocks.1]")), tmp_path / "run")
    assert result.status == "ok", result.error
    tuned = load_target(str(tmp_path / "run"), ARCH)
    before = dict(original.named_parameters())
    changed = {n for n, p in tuned.named_parameters() if not torch.equal(p, before[n])}
    block = {n for n in before if n.startswith("blocks.1.")}
    assert changed == block  # every parameter of blocks.1 moved, nothing else did
    per_block = sum(p.numel() for n, p in original.named_parameters() if n in block)
    assert result.metrics["trainable_params"] == per_block
    # "before" is the target itself, scored on the task with labels shifted by 1
    task = SequenceDataModule(ModularAdditionSeqSchema(p=7), 0, ARCH).task.shifted(1)
    scores = evaluate(original, task.split.x_test, task.split.y_test, task.predict)
    assert result.metrics["before/test_loss"] == scores["loss"]
    assert result.metrics["before/test_loss"] > result.metrics["test_loss"]  # it learned


def test_trainer_max_steps_bounds_the_fine_tuning(composed, tmp_path: Path) -> None:
    _target(tmp_path)
    result = run(composed(_overrides(tmp_path, "trainer.max_steps=5")), tmp_path / "run")
    assert result.status == "ok", result.error
    ckpt = torch.load(tmp_path / "run/checkpoints/last.ckpt", weights_only=False)
    assert ckpt["global_step"] == 5


def test_resume_after_a_kill_ends_with_the_same_metrics_and_weights(
    composed, tmp_path: Path
) -> None:
    _target(tmp_path)
    raw = composed(_overrides(tmp_path))
    uninterrupted = run(raw, tmp_path / "a")
    assert uninterrupted.status == "ok", uninterrupted.error

    killed = run(raw, tmp_path / "b", extra_callbacks=[CrashAtStep(6)])
    assert killed.status == "failed"
    assert torch.load(tmp_path / "b/checkpoints/last.ckpt", weights_only=False)["global_step"] == 4

    resumed = run({**raw, "resume": True}, tmp_path / "b")
    assert resumed.status == "ok", resumed.error
    drop = ("wall_time_s",)
    assert {k: v for k, v in resumed.metrics.items() if k not in drop} == {
        k: v for k, v in uninterrupted.metrics.items() if k not in drop
    }
    a, b = load_target(str(tmp_path / "a"), ARCH), load_target(str(tmp_path / "b"), ARCH)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


def test_patterns_matching_no_module_fail_before_any_work(composed, tmp_path: Path) -> None:
    _target(tmp_path)
    with pytest.raises(ConfigError) as info:
        run(composed(_overrides(tmp_path, "method.trainable=[nothing.*]")), tmp_path / "run")
    assert info.value.key == "method.trainable" and "blocks.0" in info.value.allowed
    assert not (tmp_path / "run").exists()


def test_a_dataset_without_sequences_is_refused(composed, tmp_path: Path) -> None:
    save_target(tmp_path / "target.pt", TMS(5, 2), TMSSchema(), {})
    overrides = ["method=finetune", "model=tms", f"target.ckpt={tmp_path / 'target.pt'}"]
    with pytest.raises(ConfigError, match="a sequence dataset"):
        run(composed([*overrides, *QUIET_RUN]), tmp_path / "run")


def test_task_tensors_follow_the_module_but_stay_out_of_checkpoints(tmp_path: Path) -> None:
    dataset = ModularAdditionSeqSchema(p=7)
    ctx = RunContext(
        seed=0,
        run_dir=tmp_path,
        model_cfg=ARCH,
        dataset_cfg=dataset,
        target=_target(tmp_path),
        datamodule=SequenceDataModule(dataset, 0, ARCH),
    )
    module = FinetuneModule(FinetuneSchema(trainable=["blocks.0", "blocks.2"]), ctx)
    assert trainable_modules(module.model, ["blocks.0", "blocks.2"]) == ["blocks.0", "blocks.2"]
    assert not any(k.startswith(("train_", "test_")) for k in module.state_dict())
    module.to("meta")
    assert {module.train_inputs.device.type, module.test_targets.device.type} == {"meta"}
