"""Figures of GW layer clustering: L×L heatmaps and the average-linkage dendrogram."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from scipy.cluster.hierarchy import dendrogram  # noqa: E402


def heatmaps(matrices: dict[str, np.ndarray], layer_names: list[str]) -> Figure:
    """One panel per named (L, L) matrix, layers in depth order on both axes."""
    n = len(matrices)
    fig, axes = plt.subplots(1, n, figsize=(5.0 * n, 4.0), squeeze=False)
    fig.subplots_adjust(wspace=0.75, bottom=0.25, left=0.08)  # room for the layer names
    ticks = np.arange(len(layer_names))
    for ax, (title, matrix) in zip(axes[0], matrices.items(), strict=True):
        image = ax.imshow(matrix, cmap="viridis")
        ax.set_title(title)
        ax.set_xticks(ticks, layer_names, rotation=90, fontsize=7)
        ax.set_yticks(ticks, layer_names, fontsize=7)
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return fig


def dendrogram_figure(
    merges: np.ndarray, layer_names: list[str], cut_height: float | None
) -> Figure:
    """Average-linkage tree of the layers; the dashed line is where the groups were cut."""
    fig, ax = plt.subplots(figsize=(max(4.0, 0.45 * len(layer_names)), 3.5))
    dendrogram(merges, labels=layer_names, ax=ax, leaf_rotation=90, color_threshold=cut_height)
    if cut_height is not None:
        ax.axhline(cut_height, linestyle="--", color="grey", linewidth=1)
    ax.set_ylabel("average GW")
    return fig
