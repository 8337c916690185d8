"""Compression by layer removal: which blocks a GW grouping removes, and the task metric against
the number of blocks removed, next to random and contiguous removals of the same size; and the
record of fine-tuning one group of blocks versus all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Evaluate = Callable[[list[int]], float]  # removed block indices -> task metric


def group_interiors(segments: np.ndarray) -> list[int]:
    """Blocks after the first of each contiguous group: their input is already a representation
    of the same group, so removing them keeps one block per group.

    Args:
        segments: (L,) group label per block in depth order (contiguous runs).
    """
    return [i for i in range(1, len(segments)) if segments[i] == segments[i - 1]]


def gw_removal_order(gw: np.ndarray, segments: np.ndarray) -> list[int]:
    """Every block in the order GW says it can go: group interiors first, then the other blocks;
    within each part, the block whose output is GW-closest to its input (the previous block's
    output) first. Block 0's input is not a probed layer, so it comes last.

    Args:
        gw: (L, L) GW distances between block outputs.
        segments: (L,) contiguous group labels.

    Raises:
        ValueError: mismatched shapes, or NaN/inf distances (which would sort arbitrarily).
    """
    n = gw.shape[0]
    if gw.shape != (n, n) or segments.shape != (n,):
        raise ValueError(
            f"need an (L, L) GW matrix and (L,) segments; got {gw.shape} and {segments.shape}"
        )
    if not np.isfinite(gw).all():
        raise ValueError("the GW matrix contains NaN or infinite entries")
    change = np.array([np.inf] + [gw[i - 1, i] for i in range(1, n)])
    interior = set(group_interiors(segments))
    first = sorted(interior, key=lambda i: (change[i], i))
    rest = sorted(set(range(n)) - interior, key=lambda i: (change[i], i))
    return first + rest


@dataclass
class RemovalCurves:
    """Task metric against blocks removed (index m = m blocks removed, m = 0 … L − 1)."""

    removed: list[int]  # m
    gw: list[float]  # the first m blocks of gw_removal_order
    random_mean: list[float]  # mean over random m-subsets
    random_std: list[float]
    contiguous_mean: list[float]  # mean over every window of m consecutive blocks
    contiguous_best: list[float]  # best such window (higher_is_better decides)
    n_interior: int  # blocks removed by dropping every group's interior


def removal_curves(
    evaluate: Evaluate,
    order: list[int],
    n_interior: int,
    n_draws: int,
    seed: int,
    higher_is_better: bool,
) -> RemovalCurves:
    """Evaluate the GW order, random subsets and contiguous windows for m = 0 … L − 1 removed
    blocks (``evaluate`` gets the sorted removed block indices)."""
    n = len(order)
    rng = np.random.default_rng(seed)
    curves = RemovalCurves([], [], [], [], [], [], n_interior)
    full = evaluate([])
    for m in range(n):
        curves.removed.append(m)
        if m == 0:
            for values in (curves.gw, curves.random_mean, curves.contiguous_mean):
                values.append(full)
            curves.random_std.append(0.0)
            curves.contiguous_best.append(full)
            continue
        curves.gw.append(evaluate(sorted(order[:m])))
        draws = [
            evaluate(sorted(rng.choice(n, size=m, replace=False).tolist())) for _ in range(n_draws)
        ]
        curves.random_mean.append(float(np.mean(draws)))
        curves.random_std.append(float(np.std(draws)))
        windows = [evaluate(list(range(start, start + m))) for start in range(n - m + 1)]
        curves.contiguous_mean.append(float(np.mean(windows)))
        curves.contiguous_best.append(float(max(windows) if higher_is_better else min(windows)))
    return curves


@dataclass
class GroupFinetuning:
    """Fine-tuning one GW group of blocks (or every parameter) on a shifted task."""

    label: str  # "all" or "group <g>"
    blocks: list[str]  # the blocks trained ("all": every parameter of the model)
    trainable_params: int
    before: dict[str, float]  # test loss / accuracy before fine-tuning
    after: dict[str, float]
