import pytest
import torch

from subnetlab.data.two_moons import two_moons


def test_noise_free_points_lie_on_their_half_circles():
    x, labels = two_moons(50, noise=0.0, seed=0)
    upper, lower = x[labels == 0], x[labels == 1]
    assert upper.shape == (25, 2) and lower.shape == (25, 2)
    assert torch.allclose(upper.norm(dim=1), torch.ones(25), atol=1e-6)
    assert (upper[:, 1] >= -1e-6).all()
    centred = lower - torch.tensor([1.0, 0.5])
    assert torch.allclose(centred.norm(dim=1), torch.ones(25), atol=1e-6)
    assert (lower[:, 1] <= 0.5 + 1e-6).all()


def test_noise_scale_and_determinism():
    clean, labels = two_moons(400, noise=0.0, seed=3)
    noisy, labels_noisy = two_moons(400, noise=0.1, seed=3)
    assert torch.equal(labels, labels_noisy)
    assert float((noisy - clean).std()) == pytest.approx(0.1, rel=0.15)
    assert torch.equal(two_moons(400, 0.1, 3)[0], noisy)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="n_samples"):
        two_moons(1)
    with pytest.raises(ValueError, match="noise"):
        two_moons(10, noise=-0.1)
