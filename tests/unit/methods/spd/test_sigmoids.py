import torch

from subnetlab.methods.spd.sigmoids import (
    hard_sigmoid,
    leaky_hard_sigmoids,
    lower_leaky_hard_sigmoid,
    upper_leaky_hard_sigmoid,
)

X = torch.tensor([-2.0, -0.5, 0.0, 0.3, 1.0, 1.5, 3.0])


def test_hard_sigmoid_values() -> None:
    assert torch.equal(hard_sigmoid(X), torch.tensor([0.0, 0.0, 0.0, 0.3, 1.0, 1.0, 1.0]))


def test_lower_leaky_values_and_gradients() -> None:
    x = X.clone().requires_grad_(True)
    y = lower_leaky_hard_sigmoid(x)
    assert torch.allclose(y, torch.tensor([-0.02, -0.005, 0.0, 0.3, 1.0, 1.0, 1.0]))
    (grad,) = torch.autograd.grad(y.sum(), x)
    # slope 0.01 below zero, 1 inside, 0 above one
    assert torch.allclose(grad, torch.tensor([0.01, 0.01, 1.0, 1.0, 1.0, 0.0, 0.0]))


def test_upper_leaky_values_and_gradients() -> None:
    x = X.clone().requires_grad_(True)
    y = upper_leaky_hard_sigmoid(x)
    assert torch.allclose(y, torch.tensor([0.0, 0.0, 0.0, 0.3, 1.0, 1.005, 1.02]))
    (grad,) = torch.autograd.grad(y.sum(), x)
    assert torch.allclose(grad, torch.tensor([0.0, 0.0, 1.0, 1.0, 1.0, 0.01, 0.01]))
    assert (y >= 0).all()


def test_both_sigmoids_at_once_have_the_values_and_gradients_of_each() -> None:
    # the kinks themselves (0 and 1) and points on every side of them
    pre = torch.tensor([-3.0, -1e-7, 0.0, 1e-7, 0.4, 1.0 - 1e-7, 1.0, 1.0 + 1e-7, 5.0])
    weights_lower, weights_upper = torch.rand(9), torch.rand(9)
    results = []
    for both in (
        leaky_hard_sigmoids,
        lambda p: (lower_leaky_hard_sigmoid(p), upper_leaky_hard_sigmoid(p)),
    ):
        x = pre.clone().requires_grad_()
        lower, upper = both(x)
        (grad,) = torch.autograd.grad((lower * weights_lower + upper * weights_upper).sum(), x)
        results.append((lower, upper, grad))
    (lower, upper, grad), (lower_ref, upper_ref, grad_ref) = results
    assert torch.equal(lower, lower_ref) and torch.equal(upper, upper_ref)
    torch.testing.assert_close(grad, grad_ref)
