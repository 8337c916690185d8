"""Infinite synthetic batches where batch ``t`` depends only on (seed, t).

A resumed run therefore sees exactly the batches an uninterrupted run would have seen, without
storing generator state in checkpoints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch

SampleFn = Callable[[int, torch.Generator], torch.Tensor]


def step_generator(seed: int, step: int, stream: int = 0) -> torch.Generator:
    """A generator whose state is a pure function of (seed, step, stream)."""
    return torch.Generator().manual_seed((seed * 1_000_003 + step) * 7 + stream)


class StepBatches:
    """Iterable of batches ``sample(batch_size, step_generator(seed, t))`` for t = start, start+1, …

    ``start`` is read when iteration begins (the trainer's global step on resume).
    """

    def __init__(
        self, sample: SampleFn, batch_size: int, seed: int, start: Callable[[], int]
    ) -> None:
        self.sample, self.batch_size, self.seed, self.start = sample, batch_size, seed, start

    def __iter__(self) -> Iterator[torch.Tensor]:
        step = self.start()
        while True:
            yield self.sample(self.batch_size, step_generator(self.seed, step))
            step += 1
