import pytest
import torch

from subnetlab.data.permutation_s4 import composition_table, parity, permutation_s4, s4_elements


def test_table_is_a_group_law():
    table = composition_table()
    identity = 0  # (0, 1, 2, 3) is first in lexicographic order
    assert torch.equal(table[identity], torch.arange(24))
    assert torch.equal(table[:, identity], torch.arange(24))
    for row in table:  # a Latin square: every element once per row and column
        assert sorted(row.tolist()) == list(range(24))
    a, b, c = 5, 17, 22
    assert table[table[a, b], c] == table[a, table[b, c]]
    assert not torch.equal(table, table.T)  # S4 is not abelian


def test_composition_convention_and_parity():
    elements = s4_elements()
    table = composition_table()
    s, t = 7, 13
    assert elements[table[s, t]].tolist() == elements[s][elements[t]].tolist()
    signs = parity(elements)
    assert int((signs == 1).sum()) == 12
    assert parity(torch.tensor([[1, 0, 2, 3]])).tolist() == [-1]
    assert torch.equal(signs[table], signs.unsqueeze(1) * signs.unsqueeze(0))


def test_dataset_split():
    x_tr, y_tr, x_te, y_te = permutation_s4(0.8, seed=0)
    assert (len(x_tr), len(x_te)) == (460, 116)
    table = composition_table()
    assert torch.equal(y_tr, table[x_tr[:, 0], x_tr[:, 1]])
    with pytest.raises(ValueError, match="train_fraction"):
        permutation_s4(1.5)
