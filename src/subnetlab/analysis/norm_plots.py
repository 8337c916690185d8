"""Sorted-norm charts of decomposition pieces (SPD subcomponents, APD components)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import torch  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from subnetlab.analysis.panels import panel_grid  # noqa: E402

#: more modules than this are drawn as one image (a row per module) instead of bar panels
MAX_BAR_PANELS = 8


def sorted_norm_bars(
    norms: dict[str, torch.Tensor], xlabel: str, ylabel: str, color: str
) -> Figure:
    """Each module's norms sorted in decreasing order (alive pieces stand out): one bar panel per
    module (at most four a row), or, for more than ``MAX_BAR_PANELS`` modules, one image with a
    row per module and the norm as a (logarithmic) colour."""
    if len(norms) > MAX_BAR_PANELS:
        return _norm_rows(norms, xlabel, ylabel)
    figure, axes = panel_grid(len(norms), 3.8, 3.0)
    for ax, (name, values) in zip(axes, norms.items(), strict=True):
        sorted_values = values.detach().cpu().sort(descending=True).values
        ax.bar(range(len(sorted_values)), sorted_values.numpy(), color=color)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    return figure


def _norm_rows(norms: dict[str, torch.Tensor], xlabel: str, ylabel: str) -> Figure:
    width = max(len(v) for v in norms.values())
    table = np.full((len(norms), width), np.nan)
    for row, values in enumerate(norms.values()):
        ordered = values.detach().cpu().double().sort(descending=True).values.numpy()
        table[row, : len(ordered)] = ordered
    positive = table[np.isfinite(table) & (table > 0)]
    low = float(positive.min()) if positive.size else 1e-6
    high = float(positive.max()) if positive.size else 1.0
    figure = Figure(figsize=(7.5, 1.4 + 0.24 * len(norms)), layout="constrained")
    ax = figure.subplots()
    image = ax.imshow(
        np.where(table > 0, table, np.nan),
        aspect="auto",
        cmap="viridis",
        norm=LogNorm(vmin=max(low, high * 1e-6), vmax=high),
        interpolation="nearest",
    )
    ax.set_yticks(range(len(norms)), list(norms), fontsize=7 if len(norms) > 24 else 8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("module")
    colorbar = figure.colorbar(image, ax=ax, fraction=0.05, aspect=40)
    colorbar.set_label(f"{ylabel} (log scale)")
    return figure
