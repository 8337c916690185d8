"""Figures of a training run: its loss curve, and the feature directions of a TMS target."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def loss_curve(steps: list[int], losses: list[float], title: str) -> Figure:
    """The training loss against the optimiser step (log scale where every value is > 0)."""
    fig, ax = plt.subplots(figsize=(5.0, 3.2))
    ax.plot(steps, losses, color="tab:blue")
    if losses and min(losses) > 0:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def feature_directions(weight: torch.Tensor) -> Figure:
    """The columns of a TMS encoder ``weight`` (n_hidden, n_features): with two hidden
    dimensions, one arrow per feature in the hidden plane (Elhage et al. 2022, arXiv 2209.10652);
    otherwise the feature Gram matrix WᵀW (its off-diagonal is the superposition interference)."""
    w = weight.detach().cpu().float()
    if w.shape[0] == 2:
        fig, ax = plt.subplots(figsize=(3.8, 3.8))
        reach = float(w.norm(dim=0).max().clamp(min=1e-6)) * 1.15
        for i in range(w.shape[1]):
            x, y = float(w[0, i]), float(w[1, i])
            ax.annotate("", xy=(x, y), xytext=(0, 0), arrowprops={"arrowstyle": "->"})
            ax.text(x * 1.08, y * 1.08, str(i), ha="center", va="center", fontsize=8)
        ax.set_xlim(-reach, reach)
        ax.set_ylim(-reach, reach)
        ax.set_aspect("equal")
        ax.set_xlabel("hidden dimension 1")
        ax.set_ylabel("hidden dimension 2")
        ax.set_title("Feature directions (columns of W)", fontsize=10)
    else:
        gram = w.T @ w
        fig, ax = plt.subplots(figsize=(4.4, 3.8))
        limit = float(gram.abs().max().clamp(min=1e-6))
        image = ax.imshow(gram.numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
        colorbar = fig.colorbar(image, ax=ax)
        colorbar.set_label("WᵀW entry (off the diagonal: interference)")
        ax.set_xlabel("feature")
        ax.set_ylabel("feature")
        ax.set_title("Feature Gram matrix WᵀW", fontsize=10)
    fig.tight_layout()
    return fig
