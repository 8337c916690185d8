"""Progress bars for long loops (hidden when the output is not a terminal)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm.auto import tqdm


@contextmanager
def step_progress(total: int, description: str) -> Iterator[Callable[[int, float], None]]:
    """Yields ``update(step, loss)``; the bar shows steps done and the latest loss."""
    bar = tqdm(total=total, desc=description, disable=None, dynamic_ncols=True, mininterval=0.5)

    def update(step: int, loss: float) -> None:
        bar.update(step + 1 - bar.n)
        if step % 50 == 0:
            bar.set_postfix(loss=f"{loss:.3g}", refresh=False)

    try:
        yield update
    finally:
        bar.close()
