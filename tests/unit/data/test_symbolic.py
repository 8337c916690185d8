import math

import pytest
import torch

from subnetlab.data.symbolic import SYMBOLIC_TASKS, symbolic_dataset


def test_independence_formulas_by_hand():
    x = torch.tensor([[0.5, -1.0, 0.25, 0.5]])
    y = SYMBOLIC_TASKS["independence"].formula(x)
    assert y[0].tolist() == pytest.approx([0.75**3, 1.0 + math.sin(math.pi / 2)])


def test_feature_sharing_and_compositionality_by_hand():
    x3 = torch.tensor([[1.0, -2.0, 0.5]])
    assert SYMBOLIC_TASKS["feature_sharing"].formula(x3)[0].tolist() == pytest.approx(
        [1.0, 5.0, 5.25]
    )
    x4 = torch.tensor([[1.0, -2.0, 0.0, 4.0]])
    assert SYMBOLIC_TASKS["compositionality"].formula(x4)[0].tolist() == pytest.approx([5.0])


def test_dataset_shapes_range_and_seed():
    x_tr, y_tr, x_te, y_te = symbolic_dataset("independence", 100, 50, seed=0)
    assert x_tr.shape == (100, 4) and y_tr.shape == (100, 2)
    assert x_te.shape == (50, 4) and y_te.shape == (50, 2)
    assert x_tr.min() >= -1 and x_tr.max() <= 1
    assert torch.equal(symbolic_dataset("independence", 100, 50, seed=0)[0], x_tr)
    assert not torch.equal(symbolic_dataset("independence", 100, 50, seed=1)[0], x_tr)


def test_dependencies_match_the_formulas():
    # changing an input an output does not depend on leaves that output unchanged
    for spec in SYMBOLIC_TASKS.values():
        x = 2 * torch.rand(20, spec.n_inputs) - 1
        for output, deps in enumerate(spec.depends_on):
            for feature in set(range(spec.n_inputs)) - set(deps):
                moved = x.clone()
                moved[:, feature] = -moved[:, feature] * 0.5
                assert torch.allclose(spec.formula(moved)[:, output], spec.formula(x)[:, output])


def test_unknown_task_and_bad_sizes_raise():
    with pytest.raises(ValueError, match="independence"):
        symbolic_dataset("xor")
    with pytest.raises(ValueError, match="n_train"):
        symbolic_dataset("independence", n_train=0)
