"""How many probe inputs a run takes: a dataset with a fixed number of rows refuses a value above
what it holds (naming the key, the value and the size), the schema's default takes at most what
there is, null takes all; a dataset that draws its probes serves any number."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from subnetlab.data.probes import FiniteProbes, available_probes, probe_count
from subnetlab.data.tensor_file import TensorFileDataModule
from subnetlab.data.uniform_inputs import UniformInputsDataModule
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.uniform_inputs import UniformInputsSchema

KEY = "method.probe_size"


def test_a_value_above_what_is_held_is_one_config_error() -> None:
    assert probe_count(KEY, 30, 100, 30, "dataset=tensors") == 30  # all of them: fine
    with pytest.raises(ConfigError) as caught:
        probe_count(KEY, 31, 100, 30, "dataset=tensors")
    assert str(caught.value) == (
        "invalid config value method.probe_size=31: allowed at most 30 "
        "(dataset=tensors holds 30 probe inputs)"
    )


def test_the_default_takes_at_most_what_there_is_and_null_takes_all() -> None:
    assert probe_count(KEY, 100, 100, 30, "dataset=tensors") == 30
    assert probe_count(KEY, 20, 100, 30, "dataset=tensors") == 20
    assert probe_count(KEY, None, 100, 30, "dataset=tensors") == 30
    with pytest.raises(ConfigError, match=r"probe_size=None: allowed a number \(dataset=sparse"):
        probe_count(KEY, None, 100, None, "dataset=sparse_features")


def test_a_tensor_file_holds_its_rows(tmp_path: Path) -> None:
    torch.save(torch.randn(25, 3), tmp_path / "x.pt")
    module = TensorFileDataModule(SimpleNamespace(path=str(tmp_path / "x.pt")), 0, None)
    assert isinstance(module, FiniteProbes) and available_probes(module) == 25
    with pytest.raises(ConfigError, match=r"probe_size=26: allowed at most 25 \(dataset=tensors"):
        probe_count(KEY, 26, 100, available_probes(module), "dataset=tensors")


def test_uniform_inputs_hold_dataset_size() -> None:
    module = UniformInputsDataModule(UniformInputsSchema(size=40), 0, SimpleNamespace(widths=[3]))
    assert available_probes(module) == 40 == len(module.eval_batch())


def test_a_dataset_that_draws_its_probes_serves_any_number() -> None:
    drawing = SimpleNamespace(eval_batch=lambda size=None: torch.zeros(size or 1, 2))
    assert not isinstance(drawing, FiniteProbes) and available_probes(drawing) is None
    assert probe_count(KEY, 10**6, 100, None, "dataset=sparse_features") == 10**6


def test_the_evaluation_set_size_follows_the_same_rule() -> None:
    from subnetlab.data.probes import eval_count
    from subnetlab.schemas.datasets import DigitsSchema

    assert eval_count(DigitsSchema(), 200) == 200  # the default (500) takes what there is
    assert eval_count(DigitsSchema(eval_size=50), 200) == 50
    with pytest.raises(ConfigError) as caught:
        eval_count(DigitsSchema(eval_size=300), 200)
    assert str(caught.value) == (
        "invalid config value dataset.eval_size=300: allowed at most 200 "
        "(dataset=digits holds 200 probe inputs)"
    )


def test_an_image_dataset_refuses_an_evaluation_set_above_its_images_when_built() -> None:
    from subnetlab.data.image_classification import ImageClassificationDataModule
    from subnetlab.schemas.datasets import DigitsSchema

    module = ImageClassificationDataModule(DigitsSchema(eval_size=1797), 0, None)
    assert len(module.eval_batch()) == 1797 == module.n_probes  # all the shipped digits
    with pytest.raises(ConfigError, match=r"dataset.eval_size=1798: allowed at most 1797"):
        ImageClassificationDataModule(DigitsSchema(eval_size=1798), 0, None)
