import json
from pathlib import Path

import pytest
import torch
from torch import nn

from subnetlab.lifecycle.runner import run, run_to_completion
from subnetlab.lifecycle.targets import (
    TargetError,
    TargetTrainingFailed,
    load_target,
    obtain_target,
    save_target,
    target_hash,
    target_identity,
    training_settings,
)
from subnetlab.models.tms import TMS
from subnetlab.schemas.datasets import SparseFeaturesSchema
from subnetlab.schemas.mlp import MLPSchema
from subnetlab.schemas.models import TMSRecipe, TMSSchema
from subnetlab.schemas.run import RunConfig, TrainerSchema, validate_run_config
from tests.conftest import QUIET_RUN, compose_raw
from tests.e2e.test_resume_and_failures import CrashAtStep


def test_round_trip_and_weights_only(tmp_path: Path) -> None:
    model = TMS(5, 2)
    save_target(tmp_path / "target.pt", model, TMSSchema(), {"loss": 0.1})
    loaded = load_target(str(tmp_path), TMSSchema())  # a run folder works
    x = torch.rand(4, 5)
    assert torch.equal(loaded(x), model(x))
    payload = torch.load(tmp_path / "target.pt", weights_only=True)
    assert payload["format"] == "subnetlab-target/1"


def test_recipe_does_not_matter_for_loading(tmp_path: Path) -> None:
    save_target(tmp_path / "target.pt", TMS(5, 2), TMSSchema(), {})
    load_target(str(tmp_path / "target.pt"), TMSSchema(recipe=TMSRecipe(steps=7)))


def test_missing_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="no such file"):
        load_target(str(tmp_path / "nope"), TMSSchema())


def test_a_text_file_is_named_as_text_with_what_is_expected(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("hello world\nthis is text\n")
    with pytest.raises(TargetError) as info:
        load_target(str(bad), TMSSchema())
    message = str(info.value)
    assert message.startswith(f"target.ckpt: {bad} is not a file written by torch.save")
    assert "it holds text starting 'hello world'" in message
    assert "expected a target.pt written by method=train or method=bimt" in message
    assert "KeyError" not in message and "\n" not in message


def test_truncated_checkpoint(tmp_path: Path) -> None:
    good = tmp_path / "good.pt"
    save_target(good, TMS(5, 2), TMSSchema(), {})
    cut = tmp_path / "cut.pt"
    cut.write_bytes(good.read_bytes()[:300])
    with pytest.raises(TargetError, match=f"target.ckpt: {cut} is truncated or corrupt"):
        load_target(str(cut), TMSSchema())


class _Custom:
    """A class a weights-only load refuses to build."""


def test_a_foreign_pickle_is_refused_without_advice_to_load_it_unsafely(tmp_path: Path) -> None:
    path = tmp_path / "target.pt"
    torch.save({"format": "subnetlab-target/1", "extra": _Custom()}, path)
    with pytest.raises(TargetError) as info:
        load_target(str(path), TMSSchema())
    message = str(info.value)
    assert "holds Python objects (tests.unit.lifecycle.test_targets._Custom)" in message
    assert "weights_only=False" not in message and "trust" not in message


def test_a_torch_file_that_is_not_a_target(tmp_path: Path) -> None:
    # a dict of tensors reads as a plain state dict: the error names what the model lacks
    torch.save({"weights": torch.zeros(3)}, tmp_path / "target.pt")
    with pytest.raises(TargetError, match=r"does not fit model=tms .*: it lacks .*linear1\.weight"):
        load_target(str(tmp_path), TMSSchema())
    torch.save({"format": "other/1", "state_dict": {}}, tmp_path / "target.pt")
    with pytest.raises(TargetError, match="neither a subnetlab-target/1 checkpoint nor a plain"):
        load_target(str(tmp_path), TMSSchema())


def test_non_finite_weights_are_refused(tmp_path: Path) -> None:
    model = TMS(5, 2)
    with torch.no_grad():
        next(iter(model.parameters())).view(-1)[0] = float("inf")
    save_target(tmp_path / "target.pt", model, TMSSchema(), {})
    with pytest.raises(TargetError, match=r"the weights in .* hold NaN/inf \("):
        load_target(str(tmp_path), TMSSchema())


def test_mismatched_checkpoint_names_the_difference(tmp_path: Path) -> None:
    save_target(tmp_path / "target.pt", TMS(5, 2), TMSSchema(), {})
    with pytest.raises(TargetError, match="n_features: checkpoint 5 vs config 40"):
        load_target(str(tmp_path), TMSSchema(n_features=40, n_hidden=2))


def _cached(tmp_path: Path) -> tuple[Path, dict, RunConfig]:
    """A default TMS run's config whose target is already in the cache."""
    raw = compose_raw(["method=spd", "model=tms"], tmp_path)
    cfg = validate_run_config(raw)
    folder = tmp_path / "targets" / target_hash(cfg.model, cfg.dataset, cfg.target.seed)
    folder.mkdir(parents=True)
    save_target(folder / "target.pt", TMS(5, 2), cfg.model, {})
    return folder, raw, cfg


def _never_trains(raw: dict, folder: Path) -> dict:
    raise AssertionError(f"tried to train a target into {folder}")


def test_a_cached_target_is_read_without_a_lock_so_a_read_only_cache_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, raw, cfg = _cached(tmp_path)

    def no_writes(folder: Path) -> None:
        raise AssertionError(f"tried to lock (write into) {folder}")

    monkeypatch.setattr("subnetlab.lifecycle.targets._exclusive", no_writes)
    model, how = obtain_target(raw, cfg, _never_trains)
    assert how == f"cached target reused from {folder}"
    assert isinstance(model, TMS) and not (folder / ".lock").exists()


def test_an_unwritable_cache_without_the_target_is_a_clear_error(tmp_path: Path) -> None:
    blocked = tmp_path / "targets"
    blocked.write_text("a file where the cache folder should be")
    raw = compose_raw(["method=spd", "model=tms"], tmp_path)
    with pytest.raises(TargetError) as info:
        obtain_target(raw, validate_run_config(raw), _never_trains)
    assert str(info.value).startswith(f"cannot cache a trained target in {blocked}/")
    assert "paths.targets_dir" in str(info.value) and "target.cache=false" in str(info.value)


def test_cache_key_ignores_batch_size_but_not_the_distribution() -> None:
    a = target_hash(TMSSchema(), SparseFeaturesSchema(), 0)
    assert a == target_hash(TMSSchema(), SparseFeaturesSchema(batch_size=64), 0)
    assert a != target_hash(TMSSchema(), SparseFeaturesSchema(feature_probability=0.1), 0)
    assert a != target_hash(TMSSchema(), SparseFeaturesSchema(), 1)


def test_a_plain_sequential_state_dict_loads_as_an_mlp_target(tmp_path: Path) -> None:
    torch.manual_seed(0)
    sequential = nn.Sequential(
        nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2)
    )
    torch.save(sequential.state_dict(), tmp_path / "weights.pt")
    cfg = MLPSchema(widths=[6, 8, 8, 2], activation="relu")
    model = load_target(str(tmp_path / "weights.pt"), cfg)
    x = torch.randn(4, 6)
    assert torch.equal(model(x), sequential(x))
    partial = sequential.state_dict()
    del partial["2.weight"]
    torch.save(partial, tmp_path / "partial.pt")
    with pytest.raises(TargetError) as caught:
        load_target(str(tmp_path / "partial.pt"), cfg)
    assert str(caught.value) == (
        f"target.ckpt={tmp_path / 'partial.pt'} does not fit model=mlp (widths=[6, 8, 8, 2], "
        "activation=relu, geometry=line): it lacks 2.weight (linears.1.weight)"
    )


def test_a_pickled_module_is_refused_saying_what_to_save(tmp_path: Path) -> None:
    torch.save(nn.Linear(2, 2), tmp_path / "module.pt")
    with pytest.raises(TargetError, match=r"holds Python objects .*torch.save\(model.state_dict"):
        load_target(str(tmp_path / "module.pt"), MLPSchema(widths=[2, 2]))
    torch.save({"weights": [1, 2]}, tmp_path / "other.pt")
    with pytest.raises(TargetError, match=r"nor a plain state dict \(torch.save\(model.state_dict"):
        load_target(str(tmp_path / "other.pt"), MLPSchema(widths=[2, 2]))


def test_cache_key_holds_the_trainer_settings_that_change_the_target_and_only_those() -> None:
    model, data = TMSSchema(recipe=TMSRecipe(steps=100)), SparseFeaturesSchema()
    default = target_hash(model, data, 0)
    assert training_settings(model, TrainerSchema()) == {}
    assert training_settings(model, TrainerSchema(max_steps=100)) == {}  # no cut: the same target
    capped = training_settings(model, TrainerSchema(max_steps=20))
    assert capped == {"max_steps": 20}
    assert target_hash(model, data, 0, capped) != default
    half = training_settings(model, TrainerSchema(precision="bf16-mixed"))
    assert target_hash(model, data, 0, half) not in (default, target_hash(model, data, 0, capped))


# SPD on TMS with a target recipe of a few seconds; the target run checkpoints every 10 steps
QUICK_TARGET = [
    "model.recipe.steps=60",
    "model.recipe.n_candidates=2",
    "model.recipe.batch_size=256",
    "model.recipe.lr=0.05",
    "method.steps=5",
    "method.eval_every=5",
    "dataset.batch_size=64",
    "dataset.eval_size=128",
    "callbacks.checkpoint_every_n_steps=10",
    *QUIET_RUN,
]


def _only_folder(targets_dir: Path) -> Path:
    (folder,) = [p for p in targets_dir.iterdir() if p.is_dir()]
    return folder


def _global_step(folder: Path) -> int:
    return torch.load(folder / "checkpoints" / "last.ckpt", weights_only=False)["global_step"]


def test_a_target_trained_on_the_fly_is_a_train_run_in_the_cache_then_reused(
    composed, tmp_path: Path
) -> None:
    raw = composed(QUICK_TARGET)
    first = run(raw, tmp_path / "first")
    assert first.status == "ok", first.error
    folder = _only_folder(tmp_path / "targets")
    assert any("trained with its recipe" in note and str(folder) in note for note in first.notes)
    assert _global_step(folder) == 60
    record = json.loads((folder / "metrics.json").read_text())
    assert record["method"] == "train" and record["status"] == "ok"
    second = run(raw, tmp_path / "second")
    assert any(note == f"cached target reused from {folder}" for note in second.notes)
    assert second.metrics["target_solution_error"] == first.metrics["target_solution_error"]


def test_trainer_max_steps_caps_the_target_training_under_its_own_key(
    composed, tmp_path: Path
) -> None:
    result = run(composed([*QUICK_TARGET, "trainer.max_steps=4"]), tmp_path / "run")
    assert result.status == "ok", result.error
    folder = _only_folder(tmp_path / "targets")
    assert _global_step(folder) == 4  # the target too, not only SPD
    assert any("trained with its recipe, max_steps=4 (" in note for note in result.notes)
    cfg = validate_run_config(composed(QUICK_TARGET))
    assert folder.name != target_hash(cfg.model, cfg.dataset, cfg.target.seed)


def test_a_killed_target_training_continues_from_its_checkpoint(composed, tmp_path: Path) -> None:
    raw = composed(QUICK_TARGET)
    cfg = validate_run_config(raw)

    def killed(train_raw: dict, folder: Path) -> dict:
        return run_to_completion(train_raw, folder, [CrashAtStep(25)]).metrics

    def whole(train_raw: dict, folder: Path) -> dict:
        return run_to_completion(train_raw, folder).metrics

    with pytest.raises(TargetTrainingFailed, match="simulated kill"):
        obtain_target(raw, cfg, killed)
    folder = _only_folder(tmp_path / "targets")
    assert _global_step(folder) == 20 and not (folder / "target.pt").exists()
    resumed, how = obtain_target(raw, cfg, whole)
    assert "trained with its recipe" in how
    fresh_raw = {**raw, "paths": {**raw["paths"], "targets_dir": str(tmp_path / "fresh")}}
    fresh, _ = obtain_target(fresh_raw, validate_run_config(fresh_raw), whole)
    ours, theirs = resumed.state_dict(), fresh.state_dict()
    assert all(torch.equal(ours[k], theirs[k]) for k in theirs)


def test_an_uncached_target_leaves_nothing_behind(composed, tmp_path: Path) -> None:
    raw = composed([*QUICK_TARGET, "target.cache=false"])
    target, how = obtain_target(raw, validate_run_config(raw), lambda r, d: run(r, d).metrics)
    assert isinstance(target, TMS) and how.endswith("not cached")
    assert not (tmp_path / "targets").exists()


def test_metrics_name_the_model_option_and_a_given_target(tmp_path: Path) -> None:
    raw = compose_raw(["model=tms_40_10", "target.ckpt=runs/a"], tmp_path)
    assert target_identity(validate_run_config(raw), needs_target=False) == {"model": "tms"}
    raw["model_option"] = "tms_40_10"  # what run.py records
    cfg = validate_run_config(raw)
    assert target_identity(cfg, needs_target=True) == {
        "model": "tms_40_10",
        "target": str(Path("runs/a").resolve()),
    }
    # a method that trains its own network reads no target
    assert target_identity(cfg, needs_target=False) == {"model": "tms_40_10"}


def test_a_hugging_face_target_is_named_by_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "gpt"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "gpt2", "n_layer": 2}))
    raw = compose_raw(["experiment=spd_hf", f"target.hf_path={folder}"], tmp_path)
    raw["model_option"] = "transformer"  # the experiment's placeholder, not read for a folder
    identity = target_identity(validate_run_config(raw), needs_target=True)
    assert identity == {"model": "hf:gpt2", "target": str(folder.resolve())}
