"""Sorted-norm bar charts of decomposition pieces (SPD subcomponents, APD components)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def sorted_norm_bars(
    norms: dict[str, torch.Tensor], xlabel: str, ylabel: str, color: str
) -> Figure:
    """One panel per module: its norms sorted in decreasing order (alive pieces stand out)."""
    n = len(norms)
    fig, axes = plt.subplots(1, n, figsize=(4.0 * n, 3.0), squeeze=False)
    for ax, (name, values) in zip(axes[0], norms.items(), strict=True):
        sorted_values = values.detach().cpu().sort(descending=True).values
        ax.bar(range(len(sorted_values)), sorted_values.numpy(), color=color)
        ax.set_title(name)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    fig.tight_layout()
    return fig
