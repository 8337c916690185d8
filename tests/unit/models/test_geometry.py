import math

import pytest
import torch

from subnetlab.models.geometry import (
    grid_positions,
    layer_positions,
    line_positions,
    near_square_shape,
    pairwise_distance,
    ring_positions,
)


def test_line_positions_are_evenly_spaced_with_half_margins():
    assert line_positions(4)[:, 0].tolist() == pytest.approx([0.125, 0.375, 0.625, 0.875])


def test_grid_is_row_major_with_x_the_column():
    pos = grid_positions(2, 3)
    assert pos.shape == (6, 2)
    # index r*cols + c is pixel (r, c): index 4 is row 1, column 1
    assert pos[4].tolist() == pytest.approx([0.5, 0.75])
    assert pos[2].tolist() == pytest.approx([5 / 6, 0.25])


def test_ring_points_lie_on_the_circle():
    pos = ring_positions(10, radius=0.25)
    radii = (pos - 0.5).norm(dim=1)
    assert torch.allclose(radii, torch.full((10,), 0.25, dtype=radii.dtype))
    assert pos[0].tolist() == pytest.approx([0.75, 0.5])
    assert math.isclose(float(pos[5, 0]), 0.25)


def test_near_square_shape():
    assert near_square_shape(100) == (10, 10)
    assert near_square_shape(12) == (3, 4)
    assert near_square_shape(7) == (1, 7)


def test_grid_geometry_puts_outputs_on_a_ring():
    layers = layer_positions([784, 100, 100, 10], "grid", image_shape=(28, 28))
    assert [p.shape for p in layers] == [(784, 2), (100, 2), (100, 2), (10, 2)]
    assert torch.allclose((layers[-1] - 0.5).norm(dim=1), torch.full((10,), 0.25).double())


def test_pairwise_distance_is_manhattan():
    a = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    b = torch.tensor([[0.5, 0.25]])
    assert pairwise_distance(a, b)[:, 0].tolist() == pytest.approx([0.75, 1.25])


@pytest.mark.parametrize(
    "call",
    [
        lambda: line_positions(0),
        lambda: grid_positions(0, 3),
        lambda: layer_positions([4, 2], "cube"),
        lambda: layer_positions([5, 2], "grid", image_shape=(2, 2)),
    ],
)
def test_bad_geometry_inputs_raise(call):
    with pytest.raises(ValueError):
        call()
