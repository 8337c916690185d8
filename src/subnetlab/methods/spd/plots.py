"""Figures of an SPD decomposition."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from subnetlab.analysis.ci_patterns import permute_to_identity  # noqa: E402
from subnetlab.analysis.norm_plots import sorted_norm_bars  # noqa: E402


def permuted_ci_heatmap(ci_per_module: dict[str, torch.Tensor]) -> Figure:
    """CI on one-hot inputs (features × subcomponents), columns permuted towards an identity."""
    n = len(ci_per_module)
    fig, axes = plt.subplots(1, n, figsize=(4.5 * n, 3.6), squeeze=False)
    for ax, (name, ci) in zip(axes[0], ci_per_module.items(), strict=True):
        permuted = permute_to_identity(ci.detach().cpu())
        im = ax.imshow(permuted.numpy(), vmin=0, vmax=1, cmap="Blues", aspect="auto")
        ax.set_title(name)
        ax.set_xlabel("subcomponent (permuted)")
        ax.set_ylabel("input feature (one-hot 0.75)")
    fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8, label="causal importance")
    return fig


def subcomponent_norms(norms: dict[str, torch.Tensor]) -> Figure:
    """Sorted Frobenius norms of the rank-one subcomponents per module."""
    return sorted_norm_bars(norms, "subcomponent (sorted)", "‖U_c V_c‖_F", "tab:purple")


def ci_histograms(ci_per_module: dict[str, torch.Tensor]) -> Figure:
    """Histogram of CI values on a data batch per module (healthy: mass at 0 and near 1)."""
    n = len(ci_per_module)
    fig, axes = plt.subplots(1, n, figsize=(4.0 * n, 3.0), squeeze=False)
    for ax, (name, ci) in zip(axes[0], ci_per_module.items(), strict=True):
        ax.hist(
            ci.detach().cpu().flatten().numpy(), bins=50, range=(0, 1), log=True, color="tab:blue"
        )
        ax.set_title(name)
        ax.set_xlabel("causal importance")
        ax.set_ylabel("count (log)")
    fig.tight_layout()
    return fig
