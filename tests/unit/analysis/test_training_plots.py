import matplotlib.pyplot as plt
import torch
from matplotlib.text import Annotation

from subnetlab.analysis.training_plots import feature_directions, loss_curve


def test_two_hidden_dimensions_draw_one_arrow_per_feature_more_draw_the_gram_matrix() -> None:
    weight = torch.tensor([[1.0, 0.0, -1.0], [0.0, 2.0, 0.0]])
    fig = feature_directions(weight)
    ax = fig.axes[0]
    arrows = [t for t in ax.texts if isinstance(t, Annotation)]
    labels = sorted(t.get_text() for t in ax.texts if not isinstance(t, Annotation))
    assert len(arrows) == 3 and labels == ["0", "1", "2"]
    assert ax.get_xlim()[1] >= 2.0  # the longest column fits
    plt.close(fig)
    fig = feature_directions(torch.eye(3, 4))
    (image,) = fig.axes[0].images
    assert image.get_array().shape == (4, 4)
    plt.close(fig)


def test_loss_curve_uses_a_log_scale_only_for_positive_losses() -> None:
    fig = loss_curve([0, 1, 2], [1.0, 0.1, 0.01], "t")
    assert fig.axes[0].get_yscale() == "log"
    plt.close(fig)
    fig = loss_curve([0, 1], [1.0, -0.5], "t")
    assert fig.axes[0].get_yscale() == "linear"
    plt.close(fig)
