import pytest
import torch
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba

from subnetlab.analysis.mlp_plots import (
    NEGATIVE_COLOUR,
    draw_network,
    embedding_dimensions,
    figure_to_rgb,
    receptive_fields,
)
from subnetlab.models.mlp import MLP


def test_network_drawing_has_one_line_per_nonzero_weight_with_sign_colours():
    model = MLP([2, 3, 1])
    with torch.no_grad():
        model.linears[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, -2.0], [0.5, 0.0]]))
        model.linears[1].weight.copy_(torch.tensor([[0.0, 4.0, 0.0]]))
    figure = draw_network(model, title="t")
    (lines,) = [c for c in figure.axes[0].collections if isinstance(c, LineCollection)]
    assert len(lines.get_segments()) == 4
    assert sorted(lines.get_linewidths()) == pytest.approx([0.3125, 0.625, 1.25, 2.5])
    red = to_rgba(NEGATIVE_COLOUR)
    assert sum(tuple(c) == red for c in lines.get_colors()) == 1  # only the -2 weight
    labels = [t.get_text() for t in figure.axes[0].texts]
    assert {"x1", "x2", "y1"} <= set(labels)  # numbered from 1, as the task configs write them


def test_drawing_caps_the_number_of_edges_and_handles_grids():
    torch.manual_seed(0)
    model = MLP([16, 9, 4], geometry="grid", image_shape=(4, 4))
    figure = draw_network(model, max_edges=50)
    (lines,) = [c for c in figure.axes[0].collections if isinstance(c, LineCollection)]
    assert len(lines.get_segments()) == 50


def test_receptive_fields_show_top_neurons_in_pixel_order():
    model = MLP([16, 3, 2], geometry="grid", image_shape=(4, 4))
    with torch.no_grad():
        model.linears[0].weight.zero_()
        model.linears[0].weight[2, 5] = 1.0
    figure = receptive_fields(model, image_shape=(4, 4), n_neurons=2)
    mosaic = figure.axes[0].images[0].get_array()
    assert mosaic.shape == (4, 9)  # two 4x4 tiles and a one-pixel gap
    assert mosaic[1, 1] == 1.0  # neuron 2 (pixel (1, 1)) is the most important
    assert [t.get_text() for t in figure.axes[0].texts][0] == "h2"
    with pytest.raises(ValueError, match="image inputs"):
        receptive_fields(MLP([5, 2]))


def test_embedding_plot_picks_largest_dimensions():
    model = MLP([6, 4, 5], vocab_size=5, embed_dim=3)
    with torch.no_grad():
        model.embedding.weight.copy_(torch.tensor([[0.0, 3.0, 1.0]] * 5))
    figure = embedding_dimensions(model, n_dims=2, token_labels=list("abcde"))
    labels = [t.get_text() for t in figure.axes[0].texts]
    assert labels[0].startswith("dim 1") and labels[1].startswith("dim 2")
    assert len(figure.axes[0].lines) == 2
    with pytest.raises(ValueError, match="embedding"):
        embedding_dimensions(MLP([3, 2]))


def test_figure_renders_to_an_rgb_array_of_the_expected_size():
    figure = draw_network(MLP([2, 3, 1]))
    image = figure_to_rgb(figure, dpi=50)
    width, height = figure.get_size_inches()
    assert image.shape == (round(height * 50), round(width * 50), 3)
    assert image.dtype.name == "uint8" and image.min() < 255  # something was drawn
