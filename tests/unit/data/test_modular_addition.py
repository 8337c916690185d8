import pytest
import torch

from subnetlab.data.modular_addition import modular_addition


def test_split_covers_all_pairs_once_with_correct_labels():
    x_tr, y_tr, x_te, y_te = modular_addition(p=7, train_fraction=0.8, seed=0)
    assert x_tr.shape == (39, 2) and x_te.shape == (10, 2)
    pairs = torch.cat([x_tr, x_te])
    assert len({tuple(p) for p in pairs.tolist()}) == 49
    assert torch.equal(torch.cat([y_tr, y_te]), pairs.sum(1) % 7)
    assert x_tr.dtype == torch.long


def test_paper_sizes_and_seeded_split():
    x_tr, _, x_te, _ = modular_addition(59, 0.8, seed=1)
    assert (len(x_tr), len(x_te)) == (2784, 697)
    assert torch.equal(modular_addition(59, 0.8, seed=1)[0], x_tr)


@pytest.mark.parametrize("kwargs", [{"p": 1}, {"train_fraction": 0.0}, {"train_fraction": 1.0}])
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        modular_addition(**kwargs)
