import torch

from subnetlab.methods.spd.sigmoids import (
    hard_sigmoid,
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
