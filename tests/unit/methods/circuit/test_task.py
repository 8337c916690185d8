"""Examples and ground truth of the task datasets."""

from __future__ import annotations

import pytest
import torch

from subnetlab.data.tasks import build_task_data
from subnetlab.methods.circuit.task import symbolic_ground_truth, task_examples
from subnetlab.schemas.bimt import ModularAdditionDatasetSchema, SymbolicDatasetSchema


def test_independence_truth_is_the_formula_dependencies():
    truth = symbolic_ground_truth("symbolic_independence", [4, 20, 20, 2])
    assert truth is not None
    assert truth.nodes[0].tolist() == [[True, False, True, False], [False, True, False, True]]
    assert truth.nodes[1:] == [None, None]


def test_feature_sharing_truth_and_tasks_without_a_usable_truth():
    truth = symbolic_ground_truth("symbolic_feature_sharing", [3, 10, 3])
    assert truth is not None
    assert truth.nodes[0].int().tolist() == [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    # compositionality's one output uses all four inputs: no negatives to score
    assert symbolic_ground_truth("symbolic_compositionality", [4, 10, 1]) is None
    assert symbolic_ground_truth("two_moons", [2, 10, 2]) is None


def test_regression_examples_come_from_the_split():
    cfg = SymbolicDatasetSchema(name="symbolic_independence", n_train=20, n_test=30)
    spec = build_task_data(cfg, seed=3)
    examples = task_examples(spec, split="train", probe_size=8)
    assert examples.task == "regression" and examples.inputs.shape == (8, 4)
    assert torch.equal(examples.inputs, spec.data.x_train[:8])
    x0, x2 = examples.inputs[:, 0], examples.inputs[:, 2]
    assert torch.allclose(examples.targets[:, 0], (x0 + x2) ** 3)
    # more examples than the split holds: all of them
    assert task_examples(spec, "test", 100).inputs.shape == (30, 4)
    with pytest.raises(ValueError, match="split"):
        task_examples(spec, "val", 8)


def test_token_task_examples_are_token_ids_with_class_labels():
    spec = build_task_data(ModularAdditionDatasetSchema(p=5, train_fraction=0.6), seed=0)
    examples = task_examples(spec, "test", 10)
    assert examples.task == "classification" and examples.targets.dtype == torch.long
    assert torch.equal(examples.inputs, spec.data.x_test[:10])
    assert torch.equal(examples.targets, (examples.inputs[:, 0] + examples.inputs[:, 1]) % 5)
