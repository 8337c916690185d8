"""The shared reconstruction losses against hand-computed values."""

import math

import pytest
import torch

from subnetlab.methods.decomposition.losses import reconstruction_kl


def test_kl_of_next_token_distributions_by_hand() -> None:
    # target p = (1/2, 1/2) from equal logits; output q = (e/(1+e), 1/(1+e)) from logits (1, 0)
    target = torch.zeros(1, 1, 2)
    output = torch.tensor([[[1.0, 0.0]]])
    q1 = math.e / (1 + math.e)
    expected = 0.5 * math.log(0.5 / q1) + 0.5 * math.log(0.5 / (1 - q1))
    assert float(reconstruction_kl(output, target)) == pytest.approx(expected, rel=1e-6)


def test_kl_averages_over_positions_and_is_zero_on_identical_logits() -> None:
    logits = torch.randn(3, 4, 5)
    assert float(reconstruction_kl(logits, logits)) == pytest.approx(0.0, abs=1e-6)
    shifted = logits.clone()
    shifted[0, 0] = torch.tensor([5.0, 0.0, 0.0, 0.0, 0.0])
    one = float(reconstruction_kl(shifted[:1, :1], logits[:1, :1]))
    assert float(reconstruction_kl(shifted, logits)) == pytest.approx(one / 12, rel=1e-5)
    # adding a constant to every logit leaves the distribution (and the KL) unchanged
    assert float(reconstruction_kl(logits + 3.0, logits)) == pytest.approx(0.0, abs=1e-6)
