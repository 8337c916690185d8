import pytest
import torch

from subnetlab.methods.gw.similarity import debiased_cka, linear_cka, procrustes_distance


def test_orthogonal_directions_by_hand():
    # centred, orthogonal columns: no shared structure at all
    x = torch.tensor([[1.0], [-1.0], [0.0]])
    y = torch.tensor([[1.0], [1.0], [-2.0]])
    assert linear_cka(x, y) == pytest.approx(0.0, abs=1e-12)
    assert procrustes_distance(x, y) == pytest.approx(2.0**0.5)


def test_invariant_to_rotation_scale_and_translation(points):
    rotation, _ = torch.linalg.qr(
        torch.randn(6, 6, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    )
    moved = 3.0 * points @ rotation + 7.0
    assert linear_cka(points, moved) == pytest.approx(1.0, abs=1e-12)
    assert debiased_cka(points, moved) == pytest.approx(1.0, abs=1e-12)
    assert procrustes_distance(points, moved) == pytest.approx(0.0, abs=1e-6)


def test_relabelling_one_side_changes_cka(points):
    shuffled = points[torch.randperm(40, generator=torch.Generator().manual_seed(2))]
    assert linear_cka(points, shuffled) < 0.6


def test_debiased_cka_removes_the_wide_random_bias():
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(30, 500, generator=gen, dtype=torch.float64)
    y = torch.randn(30, 500, generator=gen, dtype=torch.float64)
    assert linear_cka(x, y) > 0.9  # biased estimate: inflated for width >> N
    assert abs(debiased_cka(x, y)) < 0.1


def test_mismatched_inputs_raise(points):
    with pytest.raises(ValueError, match="same inputs"):
        linear_cka(points, points[:10])
    with pytest.raises(ValueError, match="at least 4"):
        debiased_cka(points[:3], points[:3])
    with pytest.raises(ValueError, match="constant"):
        procrustes_distance(points, torch.ones(40, 2))


def test_non_finite_representations_are_refused():
    x = torch.randn(10, 3, generator=torch.Generator().manual_seed(0))
    y = x.clone()
    y[4, 1] = float("nan")
    for measure in (linear_cka, debiased_cka, procrustes_distance):
        with pytest.raises(ValueError, match="NaN or infinite"):
            measure(x, y)
