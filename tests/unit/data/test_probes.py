"""A dataset with a fixed number of probe inputs refuses a request for more, naming the key, the
value and what it holds; one that draws its probes serves any number."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from subnetlab.data.probes import FiniteProbes, require_dataset_probes, require_probes
from subnetlab.data.tensor_file import TensorFileDataModule
from subnetlab.data.uniform_inputs import UniformInputsDataModule
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.uniform_inputs import UniformInputsSchema


def test_a_request_above_what_is_held_is_one_config_error() -> None:
    require_probes("method.probe_size", 30, 30, "dataset=tensors")  # all of them: fine
    with pytest.raises(ConfigError) as caught:
        require_probes("method.probe_size", 31, 30, "dataset=tensors")
    assert str(caught.value) == (
        "invalid config value method.probe_size=31: allowed at most 30 "
        "(dataset=tensors holds 30 probe inputs)"
    )


def test_a_tensor_file_holds_its_rows(tmp_path: Path) -> None:
    torch.save(torch.randn(25, 3), tmp_path / "x.pt")
    module = TensorFileDataModule(SimpleNamespace(path=str(tmp_path / "x.pt")), 0, None)
    assert isinstance(module, FiniteProbes) and module.n_probes == 25
    require_dataset_probes(module, "method.probe_size", 25, SimpleNamespace(name="tensors"))
    with pytest.raises(ConfigError, match=r"probe_size=26: allowed at most 25 \(dataset=tensors"):
        require_dataset_probes(module, "method.probe_size", 26, SimpleNamespace(name="tensors"))


def test_uniform_inputs_hold_dataset_size() -> None:
    module = UniformInputsDataModule(UniformInputsSchema(size=40), 0, SimpleNamespace(widths=[3]))
    assert module.n_probes == 40 == len(module.eval_batch())
    with pytest.raises(ConfigError, match=r"=1000: allowed at most 40 \(dataset=uniform_inputs"):
        require_dataset_probes(module, "method.probe_size", 1000, UniformInputsSchema())


def test_a_dataset_that_draws_its_probes_serves_any_number() -> None:
    drawing = SimpleNamespace(eval_batch=lambda size=None: torch.zeros(size or 1, 2))
    assert not isinstance(drawing, FiniteProbes)
    require_dataset_probes(drawing, "method.probe_size", 10**6, None)  # no name read
