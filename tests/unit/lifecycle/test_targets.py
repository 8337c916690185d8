from pathlib import Path

import pytest
import torch
from torch import nn

from subnetlab.lifecycle.targets import (
    TargetError,
    load_target,
    obtain_target,
    save_target,
    target_hash,
)
from subnetlab.models.tms import TMS
from subnetlab.schemas.datasets import SparseFeaturesSchema
from subnetlab.schemas.mlp import MLPSchema
from subnetlab.schemas.models import TMSRecipe, TMSSchema


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


def _cached(tmp_path: Path) -> tuple[Path, TMSSchema, SparseFeaturesSchema]:
    model_cfg, data_cfg = TMSSchema(), SparseFeaturesSchema()
    folder = tmp_path / "targets" / target_hash(model_cfg, data_cfg, 0)
    folder.mkdir(parents=True)
    save_target(folder / "target.pt", TMS(5, 2), model_cfg, {})
    return folder, model_cfg, data_cfg


def test_a_cached_target_is_read_without_a_lock_so_a_read_only_cache_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, model_cfg, data_cfg = _cached(tmp_path)

    def no_writes(folder: Path) -> None:
        raise AssertionError(f"tried to lock (write into) {folder}")

    monkeypatch.setattr("subnetlab.lifecycle.targets._exclusive", no_writes)
    model, how = obtain_target(model_cfg, data_cfg, None, 0, tmp_path / "targets", True)
    assert how == f"cached target reused from {folder}"
    assert isinstance(model, TMS) and not (folder / ".lock").exists()


def test_an_unwritable_cache_without_the_target_is_a_clear_error(tmp_path: Path) -> None:
    blocked = tmp_path / "targets"
    blocked.write_text("a file where the cache folder should be")
    with pytest.raises(TargetError) as info:
        obtain_target(TMSSchema(), SparseFeaturesSchema(), None, 0, blocked, True)
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
