"""dataset=tensors: a user's tensors as probe inputs, bad files named in one line."""

from __future__ import annotations

import pytest
import torch

from subnetlab.data.probes import ProbeInputs, ProbeTargets
from subnetlab.data.tensor_file import TensorFileDataModule, load_tensor_file
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.tensor_file import TensorFileSchema


def test_a_bare_tensor_and_a_dict_with_targets(tmp_path):
    inputs = torch.randn(7, 6)
    torch.save(inputs, tmp_path / "x.pt")
    module = TensorFileDataModule(TensorFileSchema(path=str(tmp_path / "x.pt")), 0, None)
    assert isinstance(module, ProbeInputs) and isinstance(module, ProbeTargets)
    assert torch.equal(module.eval_batch(5), inputs[:5])
    assert torch.equal(module.eval_batch(), inputs) and module.eval_targets(5) is None
    labels = torch.tensor([0, 1, 1, 0, 1, 0, 0])
    torch.save({"inputs": inputs, "targets": labels}, tmp_path / "xy.pt")
    module = TensorFileDataModule(TensorFileSchema(path=str(tmp_path / "xy.pt")), 0, None)
    assert torch.equal(module.eval_targets(3), labels[:3])


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        ({"x": torch.zeros(3, 2)}, "holds no 'inputs' tensor"),
        ({"inputs": torch.zeros(3, 2), "labels": torch.zeros(3)}, r"unknown keys \['labels'\]"),
        (torch.zeros(3), r"inputs have shape \(3,\), not \(n, n_inputs\)"),
        ({"inputs": torch.zeros(3, 2), "targets": torch.zeros(2)}, "one row per input"),
        ({"inputs": torch.zeros(3, 2), "targets": torch.zeros(3)}, "neither labels"),
    ],
)
def test_bad_files_are_config_errors_naming_the_path(tmp_path, payload, why):
    torch.save(payload, tmp_path / "bad.pt")
    with pytest.raises(ConfigError, match="dataset.path") as caught:
        load_tensor_file(str(tmp_path / "bad.pt"))
    assert caught.match(why)


def test_a_missing_or_unreadable_file_and_a_missing_path(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_tensor_file(str(tmp_path / "none.pt"))
    (tmp_path / "junk.pt").write_bytes(b"not a tensor file")
    with pytest.raises(ConfigError, match="it does not load"):
        load_tensor_file(str(tmp_path / "junk.pt"))
    assert TensorFileSchema().path is None  # required, but checked where the file is read
    with pytest.raises(ConfigError, match=r"dataset\.path=None: allowed the path of a \.pt file"):
        load_tensor_file(TensorFileSchema().path)
