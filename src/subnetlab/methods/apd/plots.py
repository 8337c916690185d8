"""Figures of an APD decomposition."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from subnetlab.analysis.ci_patterns import permute_to_identity  # noqa: E402
from subnetlab.analysis.norm_plots import sorted_norm_bars  # noqa: E402


def attribution_share_heatmap(shares: torch.Tensor) -> Figure:
    """Attribution shares on one-hot inputs (features × components), permuted towards an
    identity: a clean decomposition gives one component per feature."""
    fig, ax = plt.subplots(figsize=(5.0, 3.8))
    permuted = permute_to_identity(shares.detach().cpu())
    im = ax.imshow(permuted.numpy(), vmin=0, vmax=1, cmap="Blues", aspect="auto")
    ax.set_xlabel("component (permuted)")
    ax.set_ylabel("input feature (one-hot 0.75)")
    fig.colorbar(im, ax=ax, shrink=0.8, label="share of A_c(x)")
    fig.tight_layout()
    return fig


def component_norms(norms: dict[str, torch.Tensor]) -> Figure:
    """Sorted Frobenius norms of each component's matrix per module."""
    return sorted_norm_bars(norms, "component (sorted)", "‖P_c‖_F", "tab:green")
