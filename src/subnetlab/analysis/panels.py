"""Figures of one panel per item (a module, a matrix) laid out in rows, never one long strip."""

from __future__ import annotations

import math

from matplotlib.axes import Axes
from matplotlib.figure import Figure


def panel_grid(
    n: int, width: float, height: float, columns: int = 4, extra_height: float = 0.0
) -> tuple[Figure, list[Axes]]:
    """A constrained-layout figure of ``n`` panels of ``width`` × ``height`` inches, at most
    ``columns`` a row (``extra_height``: inches for a suptitle); returns the n axes in reading
    order (unused cells of the last row are removed).

    Raises:
        ValueError: ``n`` or ``columns`` below 1.
    """
    if n < 1 or columns < 1:
        raise ValueError(f"need n >= 1 panels in columns >= 1; got n={n}, columns={columns}")
    cols = min(n, columns)
    rows = math.ceil(n / cols)
    figure = Figure(figsize=(cols * width, rows * height + extra_height), layout="constrained")
    axes = figure.subplots(rows, cols, squeeze=False).ravel().tolist()
    for unused in axes[n:]:
        unused.remove()
    return figure, axes[:n]
