from pathlib import Path

import pytest
import torch
from torch import nn

from subnetlab.lifecycle.targets import TargetError, load_target, save_target, target_hash
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


def test_corrupt_checkpoint(tmp_path: Path) -> None:
    bad = tmp_path / "target.pt"
    bad.write_bytes(b"this is not a checkpoint")
    with pytest.raises(TargetError, match="not a readable subnetlab target"):
        load_target(str(bad), TMSSchema())


def test_truncated_checkpoint(tmp_path: Path) -> None:
    good = tmp_path / "good.pt"
    save_target(good, TMS(5, 2), TMSSchema(), {})
    cut = tmp_path / "cut.pt"
    cut.write_bytes(good.read_bytes()[:300])
    with pytest.raises(TargetError, match="not a readable subnetlab target"):
        load_target(str(cut), TMSSchema())


def test_mismatched_checkpoint_names_the_difference(tmp_path: Path) -> None:
    save_target(tmp_path / "target.pt", TMS(5, 2), TMSSchema(), {})
    with pytest.raises(TargetError, match="n_features: checkpoint 5 vs config 40"):
        load_target(str(tmp_path), TMSSchema(n_features=40, n_hidden=2))


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
    with pytest.raises(TargetError, match="not a readable subnetlab target or state dict"):
        load_target(str(tmp_path / "module.pt"), MLPSchema(widths=[2, 2]))
    torch.save({"weights": [1, 2]}, tmp_path / "other.pt")
    with pytest.raises(TargetError, match=r"nor a plain state dict \(torch.save\(model.state_dict"):
        load_target(str(tmp_path / "other.pt"), MLPSchema(widths=[2, 2]))
