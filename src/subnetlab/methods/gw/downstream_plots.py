"""Figures of the downstream checks: metric against blocks removed, and group fine-tuning."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from subnetlab.methods.gw.compression import GroupFinetuning, RemovalCurves  # noqa: E402


def _metric_label(metric: str) -> str:
    """``test accuracy (higher = better)`` / ``test loss (lower = better)``."""
    direction = "higher" if metric == "accuracy" else "lower"
    return f"test {metric} ({direction} = better)"


def removal_figure(curves: RemovalCurves, metric: str) -> Figure:
    """GW order, random subsets (mean ± std) and contiguous windows (mean, best)."""
    fig, ax = plt.subplots(figsize=(6.5, 4.2), layout="constrained")
    m = np.array(curves.removed)
    mean, std = np.array(curves.random_mean), np.array(curves.random_std)
    ax.plot(m, curves.gw, "o-", color="C0", linewidth=2.0, label="GW order (group interiors first)")
    ax.plot(m, mean, "s--", color="C1", label="random blocks (mean)")
    ax.fill_between(m, mean - std, mean + std, color="C1", alpha=0.2, label="random blocks (± std)")
    ax.plot(m, curves.contiguous_mean, "^:", color="C2", label="contiguous blocks (mean)")
    ax.plot(m, curves.contiguous_best, "v:", color="C3", label="contiguous blocks (best)")
    ax.axvline(
        curves.n_interior,
        color="0.3",
        linestyle="-.",
        linewidth=1.2,
        label=f"all group interiors removed ({curves.n_interior})",
    )
    ax.set_xticks(m)
    ax.set_xlabel("blocks removed")
    ax.set_ylabel(_metric_label(metric))
    ax.set_title("Removing blocks: GW groups against random and contiguous", fontsize=10)
    ax.legend(fontsize=8, loc="best")
    return fig


def finetune_figure(results: list[GroupFinetuning], metric: str) -> Figure:
    """Test metric after fine-tuning each group alone and everything (one row each, named with
    its trainable parameter count), against the target before fine-tuning."""
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.55 * len(results)), layout="constrained")
    rows = np.arange(len(results))
    after = [r.after[metric] for r in results]
    before = [r.before[metric] for r in results]
    ax.barh(rows, after, height=0.6, color="C0", label="after fine-tuning")
    ax.scatter(before, rows, marker="D", s=36, color="black", zorder=3, label="before fine-tuning")
    for row, value in zip(rows, after, strict=True):
        ax.annotate(f" {value:.3g}", (value, row), va="center", ha="left", fontsize=8, color="C0")
    labels = [f"{r.label} ({r.trainable_params:,} params)" for r in results]
    ax.set_yticks(rows, labels, fontsize=8)
    ax.invert_yaxis()  # the groups in depth order from the top, "all" last
    ax.set_xlabel(f"{_metric_label(metric)} on the shifted task")
    ax.set_ylabel("blocks fine-tuned")
    ax.set_title("Fine-tuning one GW group against all blocks", fontsize=10)
    ax.use_sticky_edges = False  # room left of 0 too, so a "before" marker at 0 shows whole
    ax.margins(x=0.15)
    # right of the axes: inside it would cover a bar, and a figure legend would slide onto the
    # footer when the image is cropped to its content
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig
