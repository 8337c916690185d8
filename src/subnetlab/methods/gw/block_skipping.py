"""Remove residual blocks from a model without touching its weights: a skipped block passes its
input through unchanged (the identity on the residual stream)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from torch import nn


@contextmanager
def skipped_blocks(model: nn.Module, names: Iterable[str]) -> Iterator[nn.Module]:
    """Within the block, the named submodules return their first positional input.

    Only meaningful for blocks whose output has the shape of their input (residual blocks).
    """
    available = dict(model.named_modules())
    names = list(names)
    missing = [name for name in names if name not in available]
    if missing:
        raise ValueError(f"blocks {missing} not found in the model")

    def identity(_module: nn.Module, inputs: tuple[object, ...], output: object) -> object:
        return inputs[0]

    handles = [available[name].register_forward_hook(identity) for name in names]
    try:
        yield model
    finally:
        for handle in handles:
            handle.remove()
