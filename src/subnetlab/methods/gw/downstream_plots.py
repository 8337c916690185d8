"""Figures of the downstream checks: metric against blocks removed, and group fine-tuning."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from subnetlab.methods.gw.compression import GroupFinetuning, RemovalCurves  # noqa: E402


def removal_figure(curves: RemovalCurves, metric: str) -> Figure:
    """GW order, random subsets (mean ± std) and contiguous windows (mean, best)."""
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    m = np.array(curves.removed)
    mean, std = np.array(curves.random_mean), np.array(curves.random_std)
    ax.plot(m, curves.gw, "o-", label="GW groups")
    ax.plot(m, mean, "s--", label="random (mean)")
    ax.fill_between(m, mean - std, mean + std, alpha=0.2)
    ax.plot(m, curves.contiguous_mean, "^:", label="contiguous (mean)")
    ax.plot(m, curves.contiguous_best, "v:", label="contiguous (best)")
    ax.axvline(curves.n_interior, color="grey", lw=0.8, label="group interiors removed")
    ax.set_xlabel("blocks removed")
    ax.set_ylabel(f"test {metric}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def finetune_figure(results: list[GroupFinetuning], metric: str) -> Figure:
    """Test metric after fine-tuning each group alone and everything, with parameter counts."""
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    x = np.arange(len(results))
    ax.bar(x - 0.2, [r.before[metric] for r in results], 0.4, label="before")
    ax.bar(x + 0.2, [r.after[metric] for r in results], 0.4, label="after")
    ax.set_xticks(x, [f"{r.label}\n{r.trainable_params} params" for r in results], fontsize=7)
    ax.set_ylabel(f"test {metric} (shifted task)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
