import torch

from subnetlab.methods.spd.fused_gates import JointCI
from subnetlab.methods.spd.masks import (
    draw_uniform,
    draw_uniform_at_once,
    full_and_layer_masks,
    joint_mask_pairs,
    stochastic_masks,
)


def test_stochastic_masks_interpolate_between_ci_and_one() -> None:
    g = torch.tensor([[0.0, 0.25, 1.0]], requires_grad=True)
    r = {"m": torch.tensor([[0.5, 0.0, 0.7]])}
    m = stochastic_masks({"m": g}, r)["m"]
    assert torch.allclose(m, torch.tensor([[0.5, 0.25, 1.0]]))
    (grad,) = torch.autograd.grad(m.sum(), g)
    assert torch.allclose(grad, 1 - r["m"])  # dm/dg = 1 − r: gradients reach the CI function


def test_draw_uniform_is_reproducible_and_in_range() -> None:
    a = draw_uniform({"x": (1000, 3)}, torch.Generator().manual_seed(5))["x"]
    b = draw_uniform({"x": (1000, 3)}, torch.Generator().manual_seed(5))["x"]
    assert torch.equal(a, b)
    assert 0 <= a.min() and a.max() < 1 and abs(float(a.mean()) - 0.5) < 0.03


def test_one_draw_gives_the_numbers_of_one_draw_per_tensor() -> None:
    shapes = {("full", "a"): (7, 3), ("full", "b"): (7, 5), ("delta", "a"): (7,)}
    apart = {}
    gen = torch.Generator().manual_seed(4)
    for key, shape in shapes.items():
        apart.update(draw_uniform({key: shape}, gen))
    together = draw_uniform_at_once(shapes, torch.Generator().manual_seed(4))
    assert list(together) == list(shapes)
    for key in shapes:
        assert torch.equal(together[key], apart[key])


def test_joint_mask_pairs_equal_the_masks_of_each_matrix() -> None:
    gen = torch.Generator().manual_seed(0)
    lower = {"a": torch.rand(6, 3, generator=gen), "b": torch.rand(6, 4, generator=gen) - 0.2}
    joint_lower = torch.cat(list(lower.values()), -1).requires_grad_()
    full = {n: torch.rand(6, g.shape[1], generator=gen) for n, g in lower.items()}
    layer = {n: torch.rand(6, g.shape[1], generator=gen) for n, g in lower.items()}
    joint = JointCI(["a", "b"], [3, 4], joint_lower, joint_lower)
    pairs = joint_mask_pairs(joint, full, layer)
    for name in lower:
        torch.testing.assert_close(pairs[name][0], stochastic_masks(lower, full)[name])
        torch.testing.assert_close(pairs[name][1], stochastic_masks(lower, layer)[name])
    # dm/dg = 1 − r, summed over the two masks of each entry
    (grad,) = torch.autograd.grad(sum(p.sum() for p in pairs.values()), joint_lower)
    expected = torch.cat([2 - full[n] - layer[n] for n in lower], -1)
    torch.testing.assert_close(grad, expected)


def test_full_and_layer_masks_equal_the_plain_masks_in_value_and_gradient() -> None:
    gen = torch.Generator().manual_seed(1)
    # a sequence model's CI: (batch, positions, C); one CI below 0 (the leaky part)
    lower = {"a": torch.rand(2, 3, 4, generator=gen) - 0.1, "b": torch.rand(2, 3, 2, generator=gen)}
    full = {n: torch.rand(g.shape, generator=gen) for n, g in lower.items()}
    layer = {n: torch.rand(g.shape, generator=gen) for n, g in lower.items()}
    weights_full = {n: torch.randn(g.shape, generator=gen) for n, g in lower.items()}
    weights_layer = {n: torch.randn(g.shape, generator=gen) for n, g in lower.items()}
    results = []
    for fast in (True, False):
        ci = {n: g.clone().requires_grad_() for n, g in lower.items()}
        if fast:
            masks_full, masks_layer = full_and_layer_masks(ci, full, layer)
        else:
            masks_full, masks_layer = stochastic_masks(ci, full), stochastic_masks(ci, layer)
        # the layerwise mask of "b" unused: its half of the gradient is absent
        loss = sum((masks_full[n] * weights_full[n]).sum() for n in ci)
        loss = loss + (masks_layer["a"] * weights_layer["a"]).sum()
        grads = torch.autograd.grad(loss, list(ci.values()))
        results.append((masks_full, masks_layer, grads))
    (fast_full, fast_layer, fast_grads), (plain_full, plain_layer, plain_grads) = results
    for name in lower:
        assert fast_full[name].shape == lower[name].shape
        torch.testing.assert_close(fast_full[name], plain_full[name])
        torch.testing.assert_close(fast_layer[name], plain_layer[name])
    for fast_grad, plain_grad in zip(fast_grads, plain_grads, strict=True):
        torch.testing.assert_close(fast_grad, plain_grad)
    # by hand for "b": ∂/∂g of Σ w·(r + g(1 − r)) = w·(1 − r)
    torch.testing.assert_close(fast_grads[1], weights_full["b"] * (1 - full["b"]))


def test_mask_pairs_are_the_full_and_layer_masks_stacked() -> None:
    from subnetlab.methods.spd.masks import mask_pairs

    gen = torch.Generator().manual_seed(2)
    lower = {"a": torch.rand(2, 3, 4, generator=gen) - 0.1}
    full = {"a": torch.rand(2, 3, 4, generator=gen)}
    layer = {"a": torch.rand(2, 3, 4, generator=gen)}
    pair = mask_pairs(lower, full, layer)["a"]
    assert pair.shape == (2, 2, 3, 4)
    torch.testing.assert_close(pair[0], stochastic_masks(lower, full)["a"])
    torch.testing.assert_close(pair[1], stochastic_masks(lower, layer)["a"])
