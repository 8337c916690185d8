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
    segments, widths, colours = [], [], []
    for i, weight in enumerate(weights):
        start = _drawn_positions(model, i)
        start = np.tile(start, (model.input_fold, 1)) if i == 0 else start
        end = _drawn_positions(model, i + 1)
        strength = weight.abs().numpy() / largest
        out_idx, in_idx = np.nonzero(strength > 1e-3)
        for o, j in zip(out_idx, in_idx, strict=True):
            segments.append((start[j], end[o]))
            widths.append(2.5 * strength[o, j])
            colours.append(POSITIVE_COLOUR if weight[o, j] > 0 else NEGATIVE_COLOUR)
    if len(segments) > max_edges:
        keep = np.argsort(widths)[-max_edges:]
        segments = [segments[k] for k in keep]
        widths = [widths[k] for k in keep]
        colours = [colours[k] for k in keep]
    axes.add_collection(LineCollection(segments, linewidths=widths, colors=colours))
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
    """
    if model.embedding is not None or model.widths[0] != image_shape[0] * image_shape[1]:
        raise ValueError(
            f"receptive fields need image inputs of {image_shape[0]}x{image_shape[1]} pixels; "
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
    figure = Figure(figsize=(1.4 * cols, 1.4 * rows))
    limit = float(first[top].abs().max()) or 1.0
    for k, neuron in enumerate(top.tolist()):
        axes = figure.add_subplot(rows, cols, k + 1)
        axes.imshow(first[neuron].reshape(image_shape).numpy(), cmap="bwr", vmin=-limit, vmax=limit)
        axes.set_title(f"h{neuron}", fontsize=7)
        axes.set_axis_off()
    return figure


def embedding_dimensions(
    model: MLP, n_dims: int = 9, token_labels: list[str] | None = None
) -> Figure:
    """The largest-norm embedding dimensions plotted against the token id.

    Each panel shows one dimension (its slot index in the title); ``token_labels`` (e.g. parities
    of S4 elements) annotate the points.
    """
    if model.embedding is None:
        raise ValueError("embedding plots need a model with a token embedding (vocab_size set)")
    table = model.embedding.weight.detach().cpu().double()
    norms = table.norm(dim=0)
    top = torch.argsort(norms, descending=True)[: min(n_dims, table.shape[1])]
    cols = int(np.ceil(np.sqrt(len(top))))
    rows = int(np.ceil(len(top) / cols))
    figure = Figure(figsize=(2.6 * cols, 2.0 * rows))
    tokens = np.arange(table.shape[0])
    for k, dim in enumerate(top.tolist()):
        axes = figure.add_subplot(rows, cols, k + 1)
        axes.plot(tokens, table[:, dim].numpy(), marker="o", markersize=2, linewidth=0.8)
        if token_labels is not None:
            for token, label in zip(tokens, token_labels, strict=True):
                axes.annotate(label, (token, float(table[token, dim])), fontsize=5)
        axes.set_title(f"dim {dim} (|e|={float(norms[dim]):.2f})", fontsize=8)
        axes.tick_params(labelsize=6)
    figure.tight_layout()
    return figure


def figure_to_rgb(figure: Figure, dpi: int = 80) -> np.ndarray:
    """Render a figure to an RGB image (height, width, 3) uint8, e.g. for TensorBoard."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    figure.set_dpi(dpi)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()
