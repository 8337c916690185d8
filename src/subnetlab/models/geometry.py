"""Where BIMT places neurons: evenly spaced 1-D layers, 2-D grids, outputs on a ring."""

from __future__ import annotations

import math
from typing import Literal

import torch

Geometry = Literal["line", "grid"]
GEOMETRIES: tuple[str, ...] = ("line", "grid")


def line_positions(n: int) -> torch.Tensor:
    """``n`` points evenly spaced in [0, 1] with margins 1/(2n). Returns (n, 1)."""
    if n < 1:
        raise ValueError(f"a layer needs at least one neuron, got n={n}")
    return ((2 * torch.arange(n, dtype=torch.float64) + 1) / (2 * n)).unsqueeze(1)


def grid_positions(rows: int, cols: int) -> torch.Tensor:
    """Row-major grid of cell centres in [0, 1]^2, so index r*cols + c is pixel (r, c).

    Returns (rows*cols, 2) as (x, y) = (column, row) coordinates.
    """
    if rows < 1 or cols < 1:
        raise ValueError(f"a grid needs rows, cols >= 1, got rows={rows}, cols={cols}")
    ys = line_positions(rows)[:, 0]
    xs = line_positions(cols)[:, 0]
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)


def ring_positions(n: int, radius: float = 0.25) -> torch.Tensor:
    """``n`` points evenly spaced on a circle of ``radius`` around (0.5, 0.5). Returns (n, 2)."""
    if n < 1:
        raise ValueError(f"a ring needs at least one neuron, got n={n}")
    angle = 2 * math.pi * torch.arange(n, dtype=torch.float64) / n
    return torch.stack([0.5 + radius * torch.cos(angle), 0.5 + radius * torch.sin(angle)], dim=1)


def near_square_shape(n: int) -> tuple[int, int]:
    """The (rows, cols) with rows*cols == n and rows <= cols as close to square as possible."""
    rows = int(math.isqrt(n))
    while n % rows:
        rows -= 1
    return rows, n // rows


def layer_positions(
    unit_counts: list[int],
    geometry: Geometry = "line",
    image_shape: tuple[int, int] | None = None,
    ring_radius: float = 0.25,
) -> list[torch.Tensor]:
    """Positions of every layer of units (inputs first, outputs last).

    ``line``: every layer evenly spaced on [0, 1]; returns tensors of shape (n_l, 1).
    ``grid``: inputs on the ``image_shape`` grid (rows, cols), hidden layers on near-square grids,
    outputs on a ring; returns tensors of shape (n_l, 2).
    """
    if geometry == "line":
        return [line_positions(n) for n in unit_counts]
    if geometry != "grid":
        raise ValueError(f"geometry={geometry!r} is not supported; allowed: {list(GEOMETRIES)}")
    if len(unit_counts) < 2:
        raise ValueError("a grid geometry needs an input and an output layer")
    rows, cols = image_shape if image_shape is not None else near_square_shape(unit_counts[0])
    if rows * cols != unit_counts[0]:
        raise ValueError(
            f"image_shape={image_shape} has {rows * cols} pixels but the input layer has "
            f"{unit_counts[0]} units"
        )
    hidden = [grid_positions(*near_square_shape(n)) for n in unit_counts[1:-1]]
    return [grid_positions(rows, cols), *hidden, ring_positions(unit_counts[-1], ring_radius)]


def pairwise_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """L1 (Manhattan) distance between positions ``a`` (n, D) and ``b`` (m, D). Returns (n, m)."""
    return (a.unsqueeze(1) - b.unsqueeze(0)).abs().sum(-1)
