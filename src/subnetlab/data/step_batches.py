"""Infinite synthetic batches where batch ``t`` depends only on (seed, t).

A resumed run therefore sees exactly the batches an uninterrupted run would have seen, without
storing generator state in checkpoints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import lightning as L
import torch

SampleFn = Callable[[int, torch.Generator], torch.Tensor]


# rank r > 0 of a multi-process (DDP) run draws from its own range of seeds; rank 0 keeps the
# single-process seeds, so one device and rank 0 of several see the same draws
RANK_OFFSET = 2**56


def step_generator(seed: int, step: int, stream: int = 0, rank: int = 0) -> torch.Generator:
    """A generator whose state is a pure function of (seed, step, stream, rank)."""
    if not 0 <= rank < 256:
        raise ValueError(f"rank={rank}: step generators support ranks 0..255")
    return torch.Generator().manual_seed(
        (seed * 1_000_003 + step) * 7 + stream + rank * RANK_OFFSET
    )


class StepBatches:
    """Iterable of batches ``sample(batch_size, step_generator(seed, t, rank=rank))`` for
    t = start, start+1, …

    ``start`` is read when iteration begins (the trainer's global step on resume); ``rank`` is the
    process's rank in a multi-process run (each rank draws its own batches).
    """

    def __init__(
        self,
        sample: SampleFn,
        batch_size: int,
        seed: int,
        start: Callable[[], int],
        rank: int = 0,
    ) -> None:
        self.sample, self.batch_size, self.seed, self.start = sample, batch_size, seed, start
        self.rank = rank

    def __iter__(self) -> Iterator[torch.Tensor]:
        step = self.start()
        while True:
            yield self.sample(self.batch_size, step_generator(self.seed, step, rank=self.rank))
            step += 1


def batches_from_step(
    sample: SampleFn, batch_size: int, seed: int, trainer: L.Trainer | None
) -> StepBatches:
    """``StepBatches`` for a datamodule's ``train_dataloader``: starting at the attached
    trainer's global step (so a resumed fit continues the batch sequence), drawing the trainer
    rank's own batches; from step 0 on rank 0 without a trainer."""
    start = (lambda: trainer.global_step) if trainer is not None else (lambda: 0)
    rank = trainer.global_rank if trainer is not None else 0
    return StepBatches(sample, batch_size, seed, start, rank)


def uniform_rows(rows: torch.Tensor) -> SampleFn:
    """A sampler of ``batch_size`` rows of ``rows`` drawn uniformly with replacement."""

    def sample(batch_size: int, generator: torch.Generator) -> torch.Tensor:
        return rows[torch.randint(rows.shape[0], (batch_size,), generator=generator)]

    return sample
