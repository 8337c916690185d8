"""Batches drawn one after another from one generator, as the target recipes draw their data.

Batch ``t`` is the (t+1)-th draw from a CPU generator that starts in a fixed state, so it depends
only on that state (a function of the seed) and ``t``: an iteration that begins at step ``t`` — a
resumed run — first replays the ``t`` earlier draws. (``step_batches.StepBatches`` is the
random-access alternative with one generator per step; the recipes keep one generator for the
whole training, so that their targets are the ones the reference recipes train.)
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

import torch

#: draw(generator) -> one batch (tensors on the CPU; Lightning moves them to the device)
DrawFn = Callable[[torch.Generator], Any]

_REMEMBERED = 8  # generator states kept for generator_after (the trainer fetches a batch ahead)


class SequentialBatches:
    """Iterable of ``draw(g)``, ``draw(g)``, … for a generator ``g`` starting in
    ``initial_state``; iteration starts at batch ``start()`` (read when it begins: the trainer's
    global step on resume)."""

    def __init__(self, draw: DrawFn, initial_state: torch.Tensor, start: Callable[[], int]) -> None:
        self.draw, self.initial_state, self.start = draw, initial_state, start
        self._states: OrderedDict[int, torch.Tensor] = OrderedDict()

    def _generator(self, state: torch.Tensor) -> torch.Generator:
        generator = torch.Generator()
        generator.set_state(state)
        return generator

    def _remember(self, n_draws: int, generator: torch.Generator) -> None:
        self._states[n_draws] = generator.get_state()
        while len(self._states) > _REMEMBERED:
            self._states.popitem(last=False)

    def __iter__(self) -> Iterator[Any]:
        generator = self._generator(self.initial_state)
        n_draws = self.start()
        for _ in range(n_draws):
            self.draw(generator)
        self._remember(n_draws, generator)
        while True:
            batch = self.draw(generator)
            n_draws += 1
            self._remember(n_draws, generator)
            yield batch

    def generator_after(self, n_draws: int) -> torch.Generator:
        """A new generator in the state after ``n_draws`` draws (what the recipe draws its final
        evaluation batch from): one the current iteration remembers, else replayed."""
        if n_draws in self._states:
            return self._generator(self._states[n_draws])
        generator = self._generator(self.initial_state)
        for _ in range(n_draws):
            self.draw(generator)
        return generator
