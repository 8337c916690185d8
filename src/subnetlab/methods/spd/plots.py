"""Figures of an SPD decomposition."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from subnetlab.analysis.ci_patterns import permute_to_identity  # noqa: E402
from subnetlab.analysis.norm_plots import sorted_norm_bars  # noqa: E402
from subnetlab.analysis.panels import panel_grid  # noqa: E402


def permuted_ci_heatmap(ci_per_module: dict[str, torch.Tensor]) -> Figure:
    """CI on one-hot inputs (features × subcomponents), columns permuted towards an identity."""
    fig, axes = panel_grid(len(ci_per_module), 4.3, 3.4)
    for ax, (name, ci) in zip(axes, ci_per_module.items(), strict=True):
        permuted = permute_to_identity(ci.detach().cpu())
        im = ax.imshow(permuted.numpy(), vmin=0, vmax=1, cmap="Blues", aspect="auto")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("subcomponent (permuted)")
        ax.set_ylabel("input feature (one-hot 0.75)")
    fig.colorbar(im, ax=axes, shrink=0.8, label="causal importance (0 = not needed)")
    return fig


def subcomponent_norms(norms: dict[str, torch.Tensor]) -> Figure:
    """Sorted Frobenius norms of the rank-one subcomponents per module."""
    return sorted_norm_bars(norms, "subcomponent (sorted)", "‖U_c V_c‖_F", "tab:purple")


def ci_histograms(ci_per_module: dict[str, torch.Tensor]) -> Figure:
    """Histogram of CI values on a data batch per module (healthy: mass at 0 and near 1)."""
    fig, axes = panel_grid(len(ci_per_module), 3.8, 3.0)
    for ax, (name, ci) in zip(axes, ci_per_module.items(), strict=True):
        ax.hist(
            ci.detach().cpu().flatten().numpy(), bins=50, range=(0, 1), log=True, color="tab:blue"
        )
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("causal importance")
        ax.set_ylabel("count (log)")
    return fig


def l0_and_alive(metrics: dict[str, float], modules: list[str]) -> Figure:
    """Per decomposed matrix (forward order, top to bottom): alive subcomponents and mean CI-L0
    per datapoint (token), from ``alive/<module>`` and ``ci_l0/<module>``."""
    alive = [metrics[f"alive/{m}"] for m in modules]
    l0 = [metrics[f"ci_l0/{m}"] for m in modules]
    fig, ax = plt.subplots(figsize=(6.5, 1.6 + 0.32 * len(modules)), layout="constrained")
    rows = np.arange(len(modules))
    ax.barh(rows - 0.2, alive, height=0.4, color="tab:blue", label="alive subcomponents")
    ax.barh(rows + 0.2, l0, height=0.4, color="tab:orange", label="mean CI-L0 (active per token)")
    for row, (a, z) in enumerate(zip(alive, l0, strict=True)):
        ax.annotate(f" {a:.0f}", (a, row - 0.2), va="center", ha="left", fontsize=7)
        ax.annotate(f" {z:.1f}", (z, row + 0.2), va="center", ha="left", fontsize=7)
    ax.set_yticks(rows, modules, fontsize=8)
    ax.invert_yaxis()  # forward order from the top
    ax.margins(x=0.12, y=0.01)
    ax.set_xlabel("subcomponents")
    ax.set_ylabel("decomposed matrix")
    ax.set_title("Alive subcomponents and active ones per token (CI-L0)", fontsize=10)
    ax.legend(fontsize=8, loc="best")
    return fig


def reconstruction_by_mask(metrics: dict[str, float], recon: str) -> Figure:
    """Next-token cross-entropy (language models: ``ce/*``, with the target's as a line) or the
    reconstruction loss (``<recon>/*``) under each mask kind."""
    prefix = "ce" if "ce/target" in metrics else recon
    kinds = [
        k for k in ("unmasked", "stochastic", "ci_rounded", "pgd") if f"{prefix}/{k}" in metrics
    ]
    values = [metrics[f"{prefix}/{k}"] for k in kinds]
    fig, ax = plt.subplots(figsize=(5.5, 3.8), layout="constrained")
    ax.bar(kinds, values, color="tab:green")
    for i, value in enumerate(values):
        ax.annotate(f"{value:.3f}", (i, value), ha="center", va="bottom", fontsize=8)
    if prefix == "ce":
        ax.axhline(metrics["ce/target"], color="black", linestyle="--", label="target network")
        ax.legend(fontsize=8)
        ax.set_ylabel("next-token cross-entropy (nats / token)")
    else:
        ax.set_ylabel(f"{recon} to the target's output\n(lower = more faithful)")
    ax.set_xlabel("masks on every decomposed matrix")
    ax.set_title("The decomposition's output under each kind of mask", fontsize=10)
    return fig
