"""Figures of GW layer clustering: the L×L matrices of every measure (groups marked), the matrices
across seeds (seed blocks separated), and the average-linkage dendrogram.

Every panel uses the same convention: dark = more similar (distances on viridis, similarities
on reversed viridis), and its colorbar says which way the measure goes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from scipy.cluster.hierarchy import dendrogram  # noqa: E402

from subnetlab.analysis.panels import panel_grid  # noqa: E402

GROUP_BOX_COLOUR = "tab:red"
SEED_SEPARATOR_COLOUR = "white"
BETWEEN_GROUPS_COLOUR = "grey"
COLUMNS = 3


@dataclass(frozen=True)
class Measure:
    title: str
    colorbar: str
    similarity: bool  # larger = more similar (CKA); else a distance


MEASURES = {
    "gw": Measure("GW distance", "GW distance (lower = more similar)", False),
    "identity_loss": Measure(
        "identity-coupling loss", "GW loss of the identity coupling (lower = more similar)", False
    ),
    "linear_cka": Measure("linear CKA", "linear CKA similarity (higher = more similar)", True),
    "debiased_cka": Measure(
        "debiased CKA", "debiased CKA similarity (higher = more similar)", True
    ),
    "procrustes": Measure(
        "Procrustes distance", "Procrustes distance (lower = more similar)", False
    ),
}


def measure(name: str) -> Measure:
    """How matrix ``name`` is titled and read; an unknown name is taken as a distance."""
    return MEASURES.get(name, Measure(name, f"{name} (lower = more similar)", False))


def _tick_font_size(n_labels: int) -> float:
    return 8.0 if n_labels <= 16 else 7.0


def _label_every(n_labels: int) -> int:
    """Label every k-th tick so that at most about 32 labels share an axis."""
    return max(1, math.ceil(n_labels / 32))


def _panel_side(n_rows: int) -> float:
    """Inches of one square heatmap for an n×n matrix: room for its tick labels."""
    return float(np.clip(2.6 + 0.11 * n_rows, 3.0, 7.0))


def _heatmap(figure: Figure, ax: Axes, name: str, matrix: np.ndarray, labels: list[str]) -> None:
    kind = measure(name)
    image = ax.imshow(matrix, cmap="viridis_r" if kind.similarity else "viridis")
    colorbar = figure.colorbar(image, ax=ax, fraction=0.046, pad=0.03)
    colorbar.set_label(kind.colorbar, fontsize=8)
    colorbar.ax.tick_params(labelsize=7)
    # values near 1 (CKA of similar layers) would otherwise read "1e-6 + 9.9999e-1"
    colorbar.ax.ticklabel_format(useOffset=False)
    ax.set_title(kind.title, fontsize=10)
    n = len(labels)
    every = _label_every(n)
    ticks = np.arange(0, n, every)
    size = _tick_font_size(n)
    ax.set_xticks(ticks, [labels[i] for i in ticks], rotation=90, fontsize=size)
    ax.set_yticks(ticks, [labels[i] for i in ticks], fontsize=size)


def _runs(values: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of equal consecutive values."""
    runs, start = [], 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            runs.append((start, i - 1))
            start = i
    return runs


def heatmaps(
    matrices: dict[str, np.ndarray],
    layer_names: list[str],
    segments: np.ndarray | None = None,
    clusters: np.ndarray | None = None,
) -> Figure:
    """One panel per named (L, L) matrix (``gw``, ``identity_loss``, ``linear_cka``, ...), layers
    in depth order on both axes, at most three panels a row.

    ``segments`` ((L,) contiguous group of each layer) are boxed along every diagonal;
    ``clusters`` ((L,) GW group of each layer) colour the layer names.
    """
    side = _panel_side(len(layer_names))
    figure, axes = panel_grid(len(matrices), side + 1.4, side + 0.9, COLUMNS, extra_height=0.5)
    colours = _cluster_colours(clusters)
    for ax, (name, matrix) in zip(axes, matrices.items(), strict=True):
        _heatmap(figure, ax, name, matrix, layer_names)
        ax.set_xlabel("layer (depth order)")
        ax.set_ylabel("layer (depth order)")
        if segments is not None:
            for first, last in _runs(np.asarray(segments)):
                size = last - first + 1
                box = Rectangle(
                    (first - 0.5, first - 0.5),
                    size,
                    size,
                    fill=False,
                    edgecolor=GROUP_BOX_COLOUR,
                    linewidth=1.8,
                )
                ax.add_patch(box)
        if colours is not None:
            for tick in [*ax.get_xticklabels(), *ax.get_yticklabels()]:
                tick.set_color(colours[layer_names.index(tick.get_text())])
    marks = []
    if segments is not None:
        marks.append(f"{GROUP_BOX_COLOUR.removeprefix('tab:')} boxes: contiguous layer groups")
    if colours is not None:
        marks.append("layer-name colour: GW group")
    title = "Dissimilarity between layers (dark = more similar)"
    figure.suptitle(title + ("; " + ", ".join(marks) if marks else ""), fontsize=11)
    return figure


def _cluster_colours(clusters: np.ndarray | None) -> list[str] | None:
    if clusters is None or len(set(np.asarray(clusters).tolist())) < 2:
        return None
    palette = [f"C{i}" for i in range(10)]
    return [palette[int(c) % len(palette)] for c in np.asarray(clusters)]


def seed_heatmaps(
    matrices: dict[str, np.ndarray],
    layers: list[str],
    seeds: Sequence[int],
    notes: dict[str, str] | None = None,
) -> Figure:
    """One panel per named (K·L, K·L) matrix among the layers of K models (row k·L + i is layer
    i of ``seeds[k]``): white lines separate the seeds' blocks, the seeds are named on top, and
    ``notes`` (e.g. the layer-identification accuracy) extend the panel titles."""
    n_layers, n_seeds = len(layers), len(seeds)
    names = [layer for _ in seeds for layer in layers]
    side = _panel_side(len(names))
    figure, axes = panel_grid(len(matrices), side + 1.4, side + 0.9, COLUMNS, extra_height=0.5)
    centres = [k * n_layers + (n_layers - 1) / 2 for k in range(n_seeds)]
    for ax, (name, matrix) in zip(axes, matrices.items(), strict=True):
        if matrix.shape != (len(names), len(names)):
            raise ValueError(
                f"matrix {name!r} is {matrix.shape}; {n_seeds} seeds × {n_layers} layers need "
                f"({len(names)}, {len(names)})"
            )
        _heatmap(figure, ax, name, matrix, names)
        if notes and name in notes:
            ax.set_title(f"{measure(name).title}\n{notes[name]}", fontsize=10)
        for k in range(1, n_seeds):
            edge = k * n_layers - 0.5
            ax.axhline(edge, color=SEED_SEPARATOR_COLOUR, linewidth=2.0)
            ax.axvline(edge, color=SEED_SEPARATOR_COLOUR, linewidth=2.0)
        top = ax.secondary_xaxis("top")
        top.set_xticks(centres, [f"seed {s}" for s in seeds], fontsize=8)
        top.tick_params(length=0)
        ax.set_xlabel("layer, in blocks of one seed each")
        ax.set_ylabel("layer, in blocks of one seed each")
    figure.suptitle(
        f"Layers of {n_seeds} seeds (dark = more similar; white lines separate the seeds)",
        fontsize=11,
    )
    return figure


def dendrogram_figure(
    merges: np.ndarray,
    layer_names: list[str],
    cut_height: float | None,
    clusters: np.ndarray | None = None,
) -> Figure:
    """Average-linkage tree of the layers. With ``clusters`` ((L,) group of each layer), the links
    inside a group take its colour (the layer-name colour of ``heatmaps``) and the links between
    groups are grey; the dashed line at ``cut_height`` is where one cut gives the groups (None:
    no single height does, or there is one group)."""
    figure = Figure(figsize=(max(4.5, 0.45 * len(layer_names) + 1.5), 4.0), layout="constrained")
    ax = figure.subplots()
    size = _tick_font_size(len(layer_names))
    colours = _cluster_colours(clusters)
    dendrogram(
        merges,
        labels=layer_names,
        ax=ax,
        leaf_rotation=90,
        leaf_font_size=size,
        # without groups to colour: below the cut by SciPy's palette, or all one colour
        color_threshold=cut_height if cut_height is not None else 0.0,
        link_color_func=None if colours is None else _link_colours(merges, colours),
    )
    if cut_height is not None:
        ax.axhline(cut_height, linestyle="--", color="grey", linewidth=1)
        cut = Line2D([], [], linestyle="--", color="grey", label="cut into the layer groups")
        ax.legend(handles=[cut], fontsize=8, loc="best")
    if colours is not None:
        for tick in ax.get_xticklabels():
            tick.set_color(colours[layer_names.index(tick.get_text())])
        ax.set_xlabel("layer (links and names coloured by group; grey links join groups)")
    elif cut_height is not None:
        ax.set_xlabel("layer (links below the cut coloured by group)")
    else:
        ax.set_xlabel("layer (one group)")
    ax.set_ylabel("average GW distance at the merge\n(lower = more similar)")
    ax.set_title("Average-linkage tree of the layers", fontsize=10)
    return figure


def _link_colours(merges: np.ndarray, leaf_colours: list[str]) -> Callable[[int], str]:
    """SciPy ``link_color_func``: a merge's colour is its layers' common group colour, grey when
    its layers lie in several groups."""
    node_colour: list[str] = list(leaf_colours)
    for a, b in merges[:, :2].astype(np.int64):
        same = node_colour[a] == node_colour[b] and node_colour[a] != BETWEEN_GROUPS_COLOUR
        node_colour.append(node_colour[a] if same else BETWEEN_GROUPS_COLOUR)
    return lambda node: node_colour[node] if node < len(node_colour) else BETWEEN_GROUPS_COLOUR
