import numpy as np
import pytest
import torch

from subnetlab.methods.gw.solver_pot import (
    entropic_gw,
    gw_loss,
    identity_coupling_loss,
    pot_exact_gw,
)


def test_identity_coupling_loss_by_hand():
    c1 = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    c2 = torch.tensor([[0.0, 0.5], [0.5, 0.0]])
    # two off-diagonal entries differ by 0.5: (2 * 0.25) / 4
    assert identity_coupling_loss(c1, c2) == pytest.approx(0.125)
    assert gw_loss(
        c1.numpy().astype(float), c2.numpy().astype(float), np.eye(2) / 2
    ) == pytest.approx(0.125)


def test_exact_from_identity_never_exceeds_identity_loss(two_layers):
    c1, c2 = two_layers
    value, plan = pot_exact_gw(c1, c2, init="identity")
    assert value <= identity_coupling_loss(c1, c2) + 1e-15
    assert value == pytest.approx(gw_loss(c1.numpy(), c2.numpy(), plan), rel=1e-9)
    np.testing.assert_allclose(plan.sum(axis=0), np.full(40, 1 / 40), atol=1e-12)


def test_exact_self_distance_is_zero(two_layers):
    value, _ = pot_exact_gw(two_layers[0], two_layers[0])
    assert value == pytest.approx(0.0, abs=1e-12)


def test_entropic_is_above_exact_and_its_plan_is_a_coupling(two_layers):
    c1, c2 = two_layers
    exact = min(pot_exact_gw(c1, c2, init=i)[0] for i in ("identity", "product"))
    value, plan = entropic_gw(c1, c2, epsilon=0.05, init="identity")
    assert value >= exact - 1e-12
    np.testing.assert_allclose(plan.sum(axis=1), np.full(40, 1 / 40), atol=1e-5)


def test_bad_inputs_raise(two_layers):
    with pytest.raises(ValueError, match="init"):
        pot_exact_gw(two_layers[0], two_layers[1], init="random")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="epsilon"):
        entropic_gw(two_layers[0], two_layers[1], epsilon=0.0)
    with pytest.raises(ValueError, match="square"):
        pot_exact_gw(torch.zeros(3, 4), torch.zeros(3, 3))
    with pytest.raises(ValueError, match="equal sizes"):
        pot_exact_gw(torch.zeros(3, 3), torch.zeros(4, 4), init="identity")


def test_asymmetric_matrices_and_bad_plans_are_refused(two_layers):
    c1, c2 = two_layers
    skewed = c1.clone()
    skewed[0, 1] += 0.1
    with pytest.raises(ValueError, match="not symmetric"):
        pot_exact_gw(skewed, c2)
    with pytest.raises(ValueError, match=r"plan must have shape \(40, 40\)"):
        gw_loss(c1.numpy(), c2.numpy(), np.eye(39) / 39)
    with pytest.raises(ValueError, match="finite and non-negative"):
        gw_loss(c1.numpy(), c2.numpy(), -np.eye(40) / 40)


def test_an_underflowed_entropic_plan_is_an_error_not_a_perfect_match(two_layers):
    c1, c2 = two_layers
    assert entropic_gw(c1, c2, epsilon=1e-2)[0] > 0
    # the Gibbs kernel underflows to an all-zero "plan", whose GW loss reads 0
    with pytest.raises(ValueError, match="epsilon=1e-05 is too small"):
        entropic_gw(c1, c2, epsilon=1e-5)
