"""Examples from a probe-serving dataset, checked against the target before any work."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from subnetlab.data.tensor_file import TensorFileDataModule
from subnetlab.methods.circuit.examples import CircuitExamples, encoded_inputs, probe_examples
from subnetlab.methods.circuit.target import layered_target
from subnetlab.schemas.tensor_file import TensorFileSchema


def _target():
    return layered_target(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)))


def test_probe_examples_take_the_first_rows_and_their_targets(tmp_path):
    inputs, labels = torch.randn(10, 3), torch.tensor([0, 1] * 5)
    torch.save({"inputs": inputs, "targets": labels}, tmp_path / "xy.pt")
    source = TensorFileDataModule(TensorFileSchema(path=str(tmp_path / "xy.pt")), 0, None)
    examples = probe_examples(source, "test", 4)
    assert torch.equal(examples.inputs, inputs[:4]) and torch.equal(examples.targets, labels[:4])
    assert examples.task == "classification"
    assert torch.equal(encoded_inputs(_target(), examples), inputs[:4])
    with pytest.raises(ValueError, match="serves only its held-out probe inputs"):
        probe_examples(source, "train", 4)


def test_the_task_follows_the_targets():
    assert CircuitExamples(torch.zeros(2, 3)).task is None
    assert CircuitExamples(torch.zeros(2, 3), torch.zeros(2, 2)).task == "regression"
    assert CircuitExamples(torch.zeros(2, 3), torch.tensor([0, 1])).task == "classification"


@pytest.mark.parametrize(
    ("examples", "message"),
    [
        (CircuitExamples(torch.zeros(1, 3)), r"1 example\(s\); circuit discovery needs ≥ 2"),
        (CircuitExamples(torch.zeros(4, 5)), r"the target's first layer reads \(B, 3\)"),
        (
            CircuitExamples(torch.zeros(2, 3), torch.tensor([0, 2])),
            r"in 0..2; the target has 2 outputs \(labels 0..1\)",
        ),
        (
            CircuitExamples(torch.zeros(2, 3), torch.zeros(2, 3)),
            r"targets of shape \(2, 3\); the target has 2 outputs: \(2, 2\)",
        ),
    ],
)
def test_examples_that_do_not_fit_are_one_line_errors(examples, message):
    with pytest.raises(ValueError, match=message):
        encoded_inputs(_target(), examples)
