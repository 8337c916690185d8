"""PGD on the mask sources against hand-computed ascent steps."""

import pytest
import torch

from subnetlab.methods.spd.adversarial import pgd_sources


def test_sign_ascent_steps_and_the_projection_to_the_unit_interval() -> None:
    # loss = Σ w·r: gradient w, so each step moves r by 0.3·sign(w), clamped to [0, 1]
    w = torch.tensor([2.0, -1.0, 0.5])
    start = {"m": torch.tensor([0.5, 0.5, 0.9])}
    after_one = pgd_sources(lambda r: (w * r["m"]).sum(), start, steps=1, step_size=0.3)
    torch.testing.assert_close(after_one["m"], torch.tensor([0.8, 0.2, 1.0]))
    after_two = pgd_sources(lambda r: (w * r["m"]).sum(), start, steps=2, step_size=0.3)
    torch.testing.assert_close(after_two["m"], torch.tensor([1.0, 0.0, 1.0]))
    assert not after_two["m"].requires_grad


def test_zero_steps_returns_the_start_and_bad_settings_are_refused() -> None:
    start = {"m": torch.tensor([0.25])}
    assert torch.equal(pgd_sources(lambda r: r["m"].sum(), start, 0, 0.1)["m"], start["m"])
    with pytest.raises(ValueError, match="step_size > 0"):
        pgd_sources(lambda r: r["m"].sum(), start, 1, 0.0)
