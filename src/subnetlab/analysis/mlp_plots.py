"""Pictures of BIMT networks: the wiring at neuron positions, receptive fields, embeddings."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from subnetlab.models.mlp import MLP

POSITIVE_COLOUR = "tab:blue"
NEGATIVE_COLOUR = "tab:red"
BACKGROUND_COLOUR = "0.85"  # edges and units outside a highlighted sub-network
LAYER_SPACING = 1.0
GRID_DEPTH = 0.6  # vertical extent of a 2-D layer's oblique projection


def _drawn_positions(model: MLP, layer: int) -> np.ndarray:
    """2-D drawing coordinates of the slots of ``layer``: (n_units, 2).

    1-D layers sit on a horizontal line at height ``layer``; 2-D layers are drawn in an oblique
    projection (y shifts x slightly) so stacked grids stay readable.
    """
    pos = model.positions(layer).detach().cpu().double().numpy()
    height = layer * LAYER_SPACING
    if pos.shape[1] == 1:
        return np.stack([pos[:, 0], np.full(pos.shape[0], height)], axis=1)
    return np.stack([pos[:, 0] + 0.3 * pos[:, 1], height + GRID_DEPTH * pos[:, 1]], axis=1)


def _edge_lines(
    starts: list[np.ndarray], ends: list[np.ndarray], values: list[np.ndarray], largest: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(segments (n, 2, 2), strengths |w| / max|w| (n,), positive-sign flags (n,))."""
    value = np.concatenate(values)
    segments = np.stack([np.concatenate(starts), np.concatenate(ends)], axis=1)
    return segments, np.abs(value) / largest, value > 0


def default_input_names(n: int) -> list[str]:
    """``x1 … xn``: inputs numbered from 1, as the task configs write them."""
    return [f"x{i + 1}" for i in range(n)]


def default_output_names(n: int) -> list[str]:
    """``y1 … yn``: outputs numbered from 1, as the task configs write them."""
    return [f"y{i + 1}" for i in range(n)]


def _edge_legend(axes: Axes, highlighted: bool, units_marked: bool) -> None:
    """What the colours and widths mean, under the drawing."""
    handles = [
        Line2D([], [], color=POSITIVE_COLOUR, linewidth=2.0, label="positive weight"),
        Line2D([], [], color=NEGATIVE_COLOUR, linewidth=2.0, label="negative weight"),
    ]
    if highlighted:
        outside = "weight outside the circuit"
        handles.append(Line2D([], [], color=BACKGROUND_COLOUR, linewidth=2.0, label=outside))
    if units_marked:
        handles.append(
            Line2D([], [], color="black", marker="o", linestyle="", label="neuron in the circuit")
        )
        handles.append(
            Line2D(
                [], [], color=BACKGROUND_COLOUR, marker="o", linestyle="", label="neuron left out"
            )
        )
    axes.legend(
        handles=handles,
        title="line width ∝ |w| / max |w|",
        title_fontsize=8,
        fontsize=8,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=2 if len(handles) <= 4 else 3,
        frameon=False,
    )


def draw_network(
    model: MLP,
    max_edges: int = 5000,
    title: str | None = None,
    label_limit: int = 40,
    edge_mask: list[torch.Tensor] | None = None,
    unit_mask: list[torch.Tensor] | None = None,
    input_names: list[str] | None = None,
    output_names: list[str] | None = None,
) -> Figure:
    """The network at its neuron positions: line width ∝ |w| / max|w|, colour = sign, with a
    legend of the colours under it and the layers named on the left.

    Only the ``max_edges`` strongest weights are drawn. Input and output slots are labelled with
    the task feature / output they hold when the layer has at most ``label_limit`` units:
    ``input_names[i]`` for feature i (default ``x1 …``, numbered from 1 as the task configs do)
    and ``output_names[j]`` for output j (default ``y1 …``).

    With ``edge_mask`` (per linear layer, a (d_out, d_in) bool in the model's own slot order) a
    sub-network is highlighted: its edges in colour (width 0.3 + 2.5 |w| / max|w|), every other
    weight above 1e-3 max|w| in grey (the ``max_edges`` strongest of them); ``unit_mask`` (per
    layer, (unit_counts[layer],) bool) draws its units black and the others grey.

    Raises:
        ValueError: masks or names that do not fit the model.
    """
    figure = Figure(figsize=(6, 1.6 * (model.n_layers + 1) + 0.9), layout="constrained")
    axes = figure.add_subplot()
    weights = [lin.weight.detach().cpu().double() for lin in model.linear_layers]
    largest = max(float(w.abs().max()) for w in weights) or 1.0
    if edge_mask is not None and len(edge_mask) != len(weights):
        raise ValueError(f"edge_mask has {len(edge_mask)} layers; the model has {len(weights)}")
    n_in, n_out = model.unit_counts[0], model.unit_counts[-1]
    input_names = input_names or default_input_names(n_in)
    output_names = output_names or default_output_names(n_out)
    if len(input_names) < n_in or len(output_names) != n_out:
        raise ValueError(
            f"{len(input_names)} input and {len(output_names)} output names for a model with "
            f"{n_in} input slots and {n_out} outputs"
        )
    picks = [np.abs(w.numpy()) > 1e-3 * largest for w in weights]
    kinds = [(picks, False)]
    if edge_mask is not None:
        kept = [m.cpu().numpy().astype(bool) for m in edge_mask]
        for i, (m, w) in enumerate(zip(kept, weights, strict=True)):
            if m.shape != tuple(w.shape):
                raise ValueError(f"edge_mask layer {i} is {m.shape}; weights are {tuple(w.shape)}")
        kinds = [([p & ~m for p, m in zip(picks, kept, strict=True)], False), (kept, True)]
    for chosen, highlighted in kinds:
        starts, ends, values = [], [], []
        for i, (weight, pick) in enumerate(zip(weights, chosen, strict=True)):
            start = _drawn_positions(model, i)
            start = np.tile(start, (model.input_fold, 1)) if i == 0 else start
            out_idx, in_idx = np.nonzero(pick)
            starts.append(start[in_idx])
            ends.append(_drawn_positions(model, i + 1)[out_idx])
            values.append(weight.numpy()[out_idx, in_idx])
        segments, strength, positive = _edge_lines(starts, ends, values, largest)
        if highlighted:
            line_widths = 0.3 + 2.5 * strength
        else:
            keep = np.argsort(strength)[-max_edges:]
            segments, strength, positive = segments[keep], strength[keep], positive[keep]
            line_widths = 2.5 * strength if edge_mask is None else np.full(len(keep), 0.4)
        colours = np.where(positive, POSITIVE_COLOUR, NEGATIVE_COLOUR)
        if edge_mask is not None and not highlighted:
            colours = np.full(len(segments), BACKGROUND_COLOUR)
        axes.add_collection(
            LineCollection(list(segments), linewidths=line_widths, colors=list(colours))
        )
    for layer in range(model.n_layers + 1):
        points = _drawn_positions(model, layer)
        if unit_mask is None:
            axes.scatter(points[:, 0], points[:, 1], s=8, c="black", zorder=3)
            continue
        on = unit_mask[layer].cpu().numpy().astype(bool)
        axes.scatter(points[~on, 0], points[~on, 1], s=8, c=BACKGROUND_COLOUR, zorder=3)
        axes.scatter(points[on, 0], points[on, 1], s=14, c="black", zorder=4)
    if n_in <= label_limit and model.embedding is None:
        for slot, feature in enumerate(model.in_perm[:n_in].tolist()):
            x, y = _drawn_positions(model, 0)[slot]
            axes.annotate(
                input_names[feature],
                (x, y),
                xytext=(0, -11),
                textcoords="offset points",
                ha="center",
                fontsize=8,
            )
    if n_out <= label_limit:
        for slot, output in enumerate(model.out_perm.tolist()):
            x, y = _drawn_positions(model, model.n_layers)[slot]
            axes.annotate(
                output_names[output],
                (x, y),
                xytext=(0, 5),
                textcoords="offset points",
                ha="center",
                fontsize=8,
            )
    axes.autoscale()
    _name_layers(axes, model)
    axes.set_axis_off()
    _edge_legend(axes, edge_mask is not None, unit_mask is not None)
    if title:
        axes.set_title(title, fontsize=10)
    return figure


def _name_layers(axes: Axes, model: MLP) -> None:
    """``input``, ``hidden 1`` …, ``output`` left of each layer of the drawing."""
    left = axes.get_xlim()[0]
    for layer in range(model.n_layers + 1):
        if layer == 0:
            name = "input"
        elif layer == model.n_layers:
            name = "output"
        else:
            name = f"hidden {layer}"
        height = float(_drawn_positions(model, layer)[:, 1].min())
        axes.annotate(
            name,
            (left, height),
            xytext=(-8, 0),
            textcoords="offset points",
            ha="right",
            va="center",
            fontsize=8,
            color="0.3",
        )


def receptive_fields(
    model: MLP, image_shape: tuple[int, int] = (28, 28), n_neurons: int = 25
) -> Figure:
    """First-layer weights of the most important hidden neurons as images in pixel order.

    Importance of a first-hidden-layer neuron = sum of its |incoming| and |outgoing| weights.
    The fields are tiled into one mosaic (one image is far cheaper to draw than many axes),
    each tile labelled with its hidden neuron's index.
    """
    rows_px, cols_px = image_shape
    if model.embedding is not None or model.widths[0] != rows_px * cols_px:
        raise ValueError(
            f"receptive fields need image inputs of {rows_px}x{cols_px} pixels; "
            f"this model has widths[0]={model.widths[0]}"
        )
    net = model.to_layered_net(task_order=True)
    first = net.weights[0]
    importance = first.abs().sum(1)
    if len(net.weights) > 1:
        importance = importance + net.weights[1].abs().sum(0)
    top = torch.argsort(importance, descending=True)[: min(n_neurons, first.shape[0])]
    cols = int(np.ceil(np.sqrt(len(top))))
    rows = int(np.ceil(len(top) / cols))
    mosaic = np.full((rows * (rows_px + 1) - 1, cols * (cols_px + 1) - 1), np.nan)
    limit = float(first[top].abs().max()) or 1.0
    figure = Figure(figsize=(max(1.2 * cols, 3.5) + 1.0, max(1.2 * rows, 2.5) + 0.6))
    figure.set_layout_engine("constrained")
    axes = figure.add_subplot()
    for k, neuron in enumerate(top.tolist()):
        r, c = divmod(k, cols)
        top_px, left_px = r * (rows_px + 1), c * (cols_px + 1)
        mosaic[top_px : top_px + rows_px, left_px : left_px + cols_px] = (
            first[neuron].reshape(image_shape).numpy()
        )
        axes.text(left_px, top_px, f"h{neuron}", fontsize=7, va="top")
    image = axes.imshow(mosaic, cmap="bwr", vmin=-limit, vmax=limit, interpolation="nearest")
    colorbar = figure.colorbar(image, ax=axes, shrink=0.8)
    colorbar.set_label("input weight (red > 0 > blue)", fontsize=8)
    axes.set_title(f"Receptive fields of the {len(top)} most important hidden neurons", fontsize=9)
    axes.set_axis_off()
    return figure


def embedding_dimensions(
    model: MLP, n_dims: int = 9, token_labels: list[str] | None = None
) -> Figure:
    """The largest-norm embedding dimensions plotted against the token id, stacked in one axes.

    Each curve is one dimension (labelled with its slot index and norm), offset vertically;
    ``token_labels`` (e.g. parities of S4 elements) annotate the points of the top curve.
    """
    if model.embedding is None:
        raise ValueError("embedding plots need a model with a token embedding (vocab_size set)")
    table = model.embedding.weight.detach().cpu().double()
    norms = table.norm(dim=0)
    top = torch.argsort(norms, descending=True)[: min(n_dims, table.shape[1])]
    spacing = 2.5 * float(table[:, top].abs().max()) or 1.0
    tokens = np.arange(table.shape[0])
    figure = Figure(figsize=(7, 0.8 * len(top) + 1.2), layout="constrained")
    axes = figure.add_subplot()
    for k, dim in enumerate(top.tolist()):
        offset = -k * spacing
        axes.plot(tokens, table[:, dim].numpy() + offset, marker="o", markersize=2, linewidth=0.8)
        axes.text(
            tokens[-1] + 0.5,
            offset,
            f"dim {dim} (|e|={float(norms[dim]):.2f})",
            fontsize=8,
            va="center",
        )
    if token_labels is not None:
        first = int(top[0])
        for token, label in zip(tokens.tolist(), token_labels, strict=True):
            axes.annotate(label, (token, float(table[token, first])), fontsize=7)
    axes.set_xlabel("token id")
    axes.set_ylabel("embedding value (one curve per dimension, offset)")
    axes.set_title(f"The {len(top)} largest-norm embedding dimensions", fontsize=10)
    axes.set_yticks([])
    return figure


def figure_to_rgb(figure: Figure, dpi: int = 80) -> np.ndarray:
    """Render a figure to an RGB image (height, width, 3) uint8, e.g. for TensorBoard."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    figure.set_dpi(dpi)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()
