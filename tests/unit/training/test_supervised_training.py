import math

import pytest
import torch

from subnetlab.training.supervised_training import (
    draw_minibatch,
    warmup_cosine_lr,
)


def test_warmup_then_cosine_by_hand() -> None:
    assert warmup_cosine_lr(1.0, 0, 100, 10) == pytest.approx(0.1 * 0.5 * (1 + math.cos(0.0)))
    assert warmup_cosine_lr(1.0, 9, 100, 10) == pytest.approx(0.5 * (1 + math.cos(0.09 * math.pi)))
    assert warmup_cosine_lr(2.0, 50, 100, 10) == pytest.approx(1.0)  # half-way: cos(π/2) = 0
    assert warmup_cosine_lr(1.0, 0, 4, 0) == pytest.approx(1.0)  # no warm-up


def test_minibatches_are_drawn_with_replacement_and_never_larger_than_the_split() -> None:
    inputs, targets = torch.arange(5.0).unsqueeze(1), torch.arange(5)
    x, y = draw_minibatch(inputs, targets, 8, torch.Generator().manual_seed(0))
    assert x.shape == (5, 1) and torch.equal(x[:, 0].long(), y)
