"""Pictures of BIMT networks: the wiring at neuron positions, receptive fields, embeddings."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from subnetlab.models.mlp import MLP

POSITIVE_COLOUR = "tab:blue"
NEGATIVE_COLOUR = "tab:red"
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


def draw_network(
    model: MLP, max_edges: int = 5000, title: str | None = None, label_limit: int = 40
) -> Figure:
    """The network at its neuron positions: line width ∝ |w| / max|w|, colour = sign.

    Only the ``max_edges`` strongest weights are drawn. Input and output slots are labelled with
    the task feature / class they hold when the layer has at most ``label_limit`` units.
    """
    figure = Figure(figsize=(6, 1.6 * (model.n_layers + 1)))
    axes = figure.add_subplot()
    weights = [lin.weight.detach().cpu().double() for lin in model.linears]
    largest = max(float(w.abs().max()) for w in weights) or 1.0
    starts, ends, strengths, signs = [], [], [], []
    for i, weight in enumerate(weights):
        start = _drawn_positions(model, i)
        start = np.tile(start, (model.input_fold, 1)) if i == 0 else start
        end = _drawn_positions(model, i + 1)
        values = weight.numpy()
        out_idx, in_idx = np.nonzero(np.abs(values) > 1e-3 * largest)
        starts.append(start[in_idx])
        ends.append(end[out_idx])
        strengths.append(np.abs(values[out_idx, in_idx]) / largest)
        signs.append(values[out_idx, in_idx] > 0)
    strength = np.concatenate(strengths)
    keep = np.argsort(strength)[-max_edges:]
    segments = np.stack([np.concatenate(starts)[keep], np.concatenate(ends)[keep]], axis=1)
    widths = 2.5 * strength[keep]
    colours = np.where(np.concatenate(signs)[keep], POSITIVE_COLOUR, NEGATIVE_COLOUR)
    axes.add_collection(LineCollection(segments, linewidths=widths, colors=list(colours)))
    for layer in range(model.n_layers + 1):
        points = _drawn_positions(model, layer)
        axes.scatter(points[:, 0], points[:, 1], s=8, c="black", zorder=3)
    n_in, n_out = model.unit_counts[0], model.unit_counts[-1]
    if n_in <= label_limit and model.embedding is None:
        for slot, feature in enumerate(model.in_perm[:n_in].tolist()):
            x, y = _drawn_positions(model, 0)[slot]
            axes.annotate(
                f"x{feature}",
                (x, y),
                xytext=(0, -10),
                textcoords="offset points",
                ha="center",
                fontsize=7,
            )
    if n_out <= label_limit:
        for slot, output in enumerate(model.out_perm.tolist()):
            x, y = _drawn_positions(model, model.n_layers)[slot]
            axes.annotate(
                f"y{output}",
                (x, y),
                xytext=(0, 5),
                textcoords="offset points",
                ha="center",
                fontsize=7,
            )
    axes.autoscale()
    axes.set_axis_off()
    if title:
        axes.set_title(title)
    return figure


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
    figure = Figure(figsize=(1.2 * cols, 1.2 * rows))
    axes = figure.add_subplot()
    for k, neuron in enumerate(top.tolist()):
        r, c = divmod(k, cols)
        top_px, left_px = r * (rows_px + 1), c * (cols_px + 1)
        mosaic[top_px : top_px + rows_px, left_px : left_px + cols_px] = (
            first[neuron].reshape(image_shape).numpy()
        )
        axes.text(left_px, top_px, f"h{neuron}", fontsize=6, va="top")
    axes.imshow(mosaic, cmap="bwr", vmin=-limit, vmax=limit, interpolation="nearest")
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
    figure = Figure(figsize=(7, 0.8 * len(top) + 1))
    axes = figure.add_subplot()
    for k, dim in enumerate(top.tolist()):
        offset = -k * spacing
        axes.plot(tokens, table[:, dim].numpy() + offset, marker="o", markersize=2, linewidth=0.8)
        axes.text(
            tokens[-1] + 0.5,
            offset,
            f"dim {dim} (|e|={float(norms[dim]):.2f})",
            fontsize=7,
            va="center",
        )
    if token_labels is not None:
        first = top[0].item()
        for token, label in zip(tokens, token_labels, strict=True):
            axes.annotate(label, (token, float(table[token, first])), fontsize=5)
    axes.set_xlabel("token")
    axes.set_yticks([])
    return figure


def figure_to_rgb(figure: Figure, dpi: int = 80) -> np.ndarray:
    """Render a figure to an RGB image (height, width, 3) uint8, e.g. for TensorBoard."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    figure.set_dpi(dpi)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()
