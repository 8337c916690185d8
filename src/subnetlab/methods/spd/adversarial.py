"""Adversarial (PGD) mask sources: the masks m = g + (1 − g)·r of SPD (arXiv:2506.20790, §2) with
the sources r chosen to hurt the reconstruction most instead of drawn at random (the adversarial
masks of the public SPD code that followed the paper)."""

from __future__ import annotations

from collections.abc import Callable

import torch


def pgd_sources(
    loss_of: Callable[[dict[str, torch.Tensor]], torch.Tensor],
    start: dict[str, torch.Tensor],
    steps: int,
    step_size: float,
) -> dict[str, torch.Tensor]:
    """Projected sign-gradient ascent on the sources: ``steps`` times
    r ← clamp(r + step_size · sign(∂loss/∂r), 0, 1), from ``start`` (values in [0, 1]).
    Returns detached sources of the same shapes (``start`` itself when ``steps`` is 0).

    Raises:
        ValueError: ``steps`` < 0 or ``step_size`` ≤ 0.
    """
    if steps < 0 or not step_size > 0:
        raise ValueError(f"PGD needs steps >= 0 and step_size > 0; got {steps}, {step_size}")
    sources = {name: r.detach() for name, r in start.items()}
    for _ in range(steps):
        with torch.enable_grad():
            leaves = {name: r.clone().requires_grad_(True) for name, r in sources.items()}
            loss = loss_of(leaves)
            grads = torch.autograd.grad(loss, list(leaves.values()), allow_unused=True)
        sources = {
            name: r if grad is None else (r + step_size * grad.sign()).clamp(0.0, 1.0)
            for (name, r), grad in zip(sources.items(), grads, strict=True)
        }
    return sources
