"""Initialisation candidates: SPD from several random initialisations for the first part of
training, the one with the lowest loss continued (random restarts, chosen early).

Why: on TMS a seed can settle early into a local minimum where one subcomponent serves two
features (merged) or two share one (split); its loss stays higher than a clean decomposition's to
the end, and from about a quarter of the default run the ranking of the losses no longer changes
(docs/results.md, "SPD over seeds"). Scoring a few initialisations there and continuing the best
costs (K − 1) · that quarter and removes most failing seeds. Not in SPD (arXiv:2506.20790); one
candidate is the paper's behaviour.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch

from subnetlab.utils.progress import Progress

#: candidate k > 0 initialises from seed + k · stride (k = 0: the run's own seed)
CANDIDATE_SEED_STRIDE = 1_000_003


def candidate_seed(seed: int, k: int) -> int:
    """The initialisation seed of candidate ``k`` (candidate 0 is the run's own)."""
    return seed + k * CANDIDATE_SEED_STRIDE


def candidate_step(total_steps: int, candidates: int, fraction: float) -> int | None:
    """The step at which the candidates are compared: ``fraction`` of the run, at least 1 and
    before its end; None with one candidate (nothing to choose)."""
    if candidates <= 1 or total_steps < 2:
        return None
    return min(max(1, round(fraction * total_steps)), total_steps - 1)


@dataclass
class CandidateChoice:
    """The comparison at ``step``: each candidate's loss (index 0: the run's own
    initialisation) and the one continued."""

    step: int
    losses: list[float]
    chosen: int
    seeds: list[int] = field(default_factory=list)


def train_steps(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: Iterator[torch.Tensor],
    steps: int,
    step_loss: Callable[[torch.nn.Module, torch.Tensor, int], torch.Tensor],
    lr_at: Callable[[int], float],
    description: str,
) -> None:
    """``steps`` optimiser steps of ``step_loss(model, batch, step)`` for steps 0 … steps − 1 at
    the run's lr schedule (a progress line or bar while it runs)."""
    with Progress(description, steps, announce=False) as progress, torch.enable_grad():
        for step in range(steps):
            for group in optimizer.param_groups:
                group["lr"] = lr_at(step)
            loss = step_loss(model, next(batches), step)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            progress.update()
