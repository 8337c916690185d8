"""Hard sigmoids of the causal-importance function: the lower- and upper-leaky hard sigmoids of
SPD (arXiv:2506.20790, §2)."""

from __future__ import annotations

import torch

LEAK = 0.01


def hard_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """clamp(x, 0, 1)."""
    return x.clamp(0.0, 1.0)


def lower_leaky_hard_sigmoid(x: torch.Tensor, leak: float = LEAK) -> torch.Tensor:
    """Slope ``leak`` below 0, identity on [0, 1], 1 above: used for the masks."""
    return torch.where(x < 0, leak * x, x.clamp(max=1.0))


def upper_leaky_hard_sigmoid(x: torch.Tensor, leak: float = LEAK) -> torch.Tensor:
    """0 below 0, identity on [0, 1], slope ``leak`` above 1: used in importance minimality."""
    return torch.where(x > 1, 1.0 + leak * (x - 1.0), x.clamp(min=0.0))
