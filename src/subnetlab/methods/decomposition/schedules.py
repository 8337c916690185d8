"""Learning-rate schedules of the decompositions (SPD, arXiv:2506.20790, training details): the
SPD paper code's quarter cosine and the others."""

from __future__ import annotations

import math
from typing import Literal

Schedule = Literal["constant", "linear", "cosine", "half_cosine"]


def lr_at(
    step: int, total_steps: int, base_lr: float, schedule: Schedule, warmup_steps: int = 0
) -> float:
    """Learning rate of ``step`` in [0, total_steps).

    ``cosine`` is the paper branch's quarter period lr·cos(½π·t/(T−1)) (lr → 0 at the last step);
    ``half_cosine`` is main's lr·½(1 + cos(π·t/(T−1))); ``linear`` decays lr → 0.
    """
    if warmup_steps > 0 and step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    span = max(total_steps - 1 - warmup_steps, 1)
    t = min(max(step - warmup_steps, 0) / span, 1.0)
    match schedule:
        case "constant":
            return base_lr
        case "linear":
            return base_lr * (1.0 - t)
        case "cosine":
            return base_lr * math.cos(0.5 * math.pi * t)
        case "half_cosine":
            return base_lr * 0.5 * (1.0 + math.cos(math.pi * t))
    raise ValueError(
        f"unknown schedule {schedule!r}; allowed: constant, linear, cosine, half_cosine"
    )


def pnorm_at(
    step: int,
    total_steps: int,
    pnorm: float,
    final_p: float | None,
    start_frac: float,
    end_frac: float,
) -> float:
    """p of the importance-minimality loss at ``step``: ``pnorm`` until ``start_frac`` of
    training, then linear to ``final_p`` at ``end_frac``, then ``final_p`` (p-annealing of the
    public SPD code that followed arXiv:2506.20790); ``pnorm`` throughout when ``final_p`` is
    None."""
    if final_p is None:
        return pnorm
    t = step / max(total_steps - 1, 1)
    if t <= start_frac:
        return pnorm
    if t >= end_frac:
        return final_p
    return pnorm + (final_p - pnorm) * (t - start_frac) / (end_frac - start_frac)
