import pytest
import torch

from subnetlab.data.split import Split


def test_split_counts_its_rows_and_refuses_inputs_without_targets() -> None:
    split = Split(torch.zeros(5, 3), torch.zeros(5), torch.zeros(2, 3), torch.zeros(2))
    assert (split.n_train, split.n_test) == (5, 2)
    with pytest.raises(ValueError, match="x_test has 2 rows but y_test has 3"):
        Split(torch.zeros(5, 3), torch.zeros(5), torch.zeros(2, 3), torch.zeros(3))
