"""A researcher's own inputs as a datamodule: a tensor to draw batches from, or any iterable of
batches (a DataLoader), plus a fixed evaluation batch. Used by the Python API
(``subnetlab.spd.decompose``)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

import lightning as L
import torch

from subnetlab.data.step_batches import batches_from_step, uniform_rows


class UserBatches(L.LightningDataModule):
    """Training batches from ``data`` and the evaluation batch ``eval_data``.

    ``data``: a tensor (N, ...) — each step draws ``batch_size`` rows uniformly with replacement,
    batch t depending only on (seed, t) — or an iterable of tensors (cycled; re-iterated when
    exhausted). ``eval_data`` (M, ...): the batch evaluations use; default the first
    ``eval_size`` rows of a tensor ``data``, or the first batch of an iterable.

    Raises:
        ValueError: ``data`` is empty, a one-shot iterator, or holds something other than
            tensors.
    """

    def __init__(
        self,
        data: torch.Tensor | Iterable[torch.Tensor],
        batch_size: int = 64,
        eval_data: torch.Tensor | None = None,
        eval_size: int = 256,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if batch_size < 1 or eval_size < 1:
            raise ValueError(f"batch_size={batch_size} and eval_size={eval_size} must be >= 1")
        self.data, self.batch_size, self.seed = data, batch_size, seed
        first: Any
        if isinstance(data, torch.Tensor):
            if data.dim() == 0 or data.shape[0] == 0:
                raise ValueError(f"data must hold at least one row; got shape {tuple(data.shape)}")
            first = data[:eval_size]
        else:
            if iter(data) is data:
                raise ValueError(
                    "data must be a tensor or a re-iterable collection of batches (a list, a "
                    "DataLoader), not a one-shot iterator or generator"
                )
            first = next(iter(data), None)
            if first is None:
                raise ValueError("data yielded no batch")
        if not isinstance(first, torch.Tensor):
            raise ValueError(f"data must yield tensors; got {type(first).__name__}")
        self._eval = eval_data if eval_data is not None else first

    def train_dataloader(self) -> Iterable[Any]:
        if isinstance(self.data, torch.Tensor):
            sample = uniform_rows(self.data)
            return batches_from_step(sample, self.batch_size, self.seed, self.trainer)
        return _Cycle(self.data)

    def eval_batch(self, size: int | None = None) -> torch.Tensor:
        """The evaluation batch (its first ``size`` rows when given)."""
        return self._eval if size is None else self._eval[:size]


class _Cycle:
    """Re-iterates ``batches`` forever (a DataLoader reshuffles on each pass)."""

    def __init__(self, batches: Iterable[torch.Tensor]) -> None:
        self.batches = batches

    def __iter__(self) -> Iterator[torch.Tensor]:
        return itertools.chain.from_iterable(itertools.repeat(self.batches))
