from itertools import islice

import pytest
import torch

from subnetlab.data.tasks import TaskBatches


def _data() -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.arange(20.0).reshape(10, 2)
    return x, x[:, 0] * 10


def test_full_batch_yields_the_whole_split_every_step():
    x, y = _data()
    for xb, yb in islice(TaskBatches(x, y, None, seed=0, start=lambda: 0), 3):
        assert xb is x and yb is y


def test_minibatches_depend_only_on_seed_and_step():
    x, y = _data()
    from_zero = list(islice(TaskBatches(x, y, 4, seed=3, start=lambda: 0), 6))
    resumed = list(islice(TaskBatches(x, y, 4, seed=3, start=lambda: 4), 2))
    for (xa, ya), (xb, yb) in zip(from_zero[4:], resumed, strict=True):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
    for xb, yb in from_zero:  # rows stay paired with their targets
        assert xb.shape == (4, 2) and torch.equal(yb, xb[:, 0] * 10)
    other_seed = next(iter(TaskBatches(x, y, 4, seed=4, start=lambda: 0)))
    assert not torch.equal(other_seed[0], from_zero[0][0])
    assert not torch.equal(from_zero[0][0], from_zero[1][0])


def test_a_bad_batch_size_is_refused():
    x, y = _data()
    with pytest.raises(ValueError, match="batch_size=0"):
        TaskBatches(x, y, 0, seed=0, start=lambda: 0)
