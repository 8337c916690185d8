import pytest
import torch

from subnetlab.analysis.column_matching import mmcs_ml2r


def _exact_components(W: torch.Tensor, scale: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    n = W.shape[1]
    return torch.eye(n), W.T * scale  # V (d_in, C = n), U (C, d_out)


def test_perfect_decomposition_scores_one() -> None:
    W = torch.randn(2, 5)
    mmcs, ml2r = mmcs_ml2r(W, *_exact_components(W))
    assert abs(mmcs - 1) < 1e-6 and abs(ml2r - 1) < 1e-6


def test_shrinkage_shows_in_ml2r_not_mmcs() -> None:
    W = torch.randn(3, 6)
    mmcs, ml2r = mmcs_ml2r(W, *_exact_components(W, scale=0.9))
    assert abs(mmcs - 1) < 1e-6 and abs(ml2r - 0.9) < 1e-6


def test_rotated_columns_lower_mmcs_by_the_cosine() -> None:
    W = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    angle = torch.tensor(0.3)
    rot = torch.tensor(
        [[torch.cos(angle), -torch.sin(angle)], [torch.sin(angle), torch.cos(angle)]]
    )
    V, U = torch.eye(2), (rot @ W).T
    mmcs, ml2r = mmcs_ml2r(W, V, U)
    assert abs(mmcs - float(torch.cos(angle))) < 1e-6 and abs(ml2r - 1) < 1e-6


def test_negligible_leftover_cannot_win_the_match() -> None:
    # feature 0 is carried by subcomponent 0 (slightly off), and a tiny leftover points exactly
    # along it: by cosine alone the leftover would win and ML2R would collapse towards 0
    W = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    V = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    U = torch.tensor([[1.0, 0.01], [0.0, 1.0], [1e-4, 0.0]])
    mmcs, ml2r = mmcs_ml2r(W, V, U)
    assert ml2r > 0.99
    assert mmcs > 0.9999


def test_a_dead_target_feature_is_an_error_not_a_huge_ratio() -> None:
    W = torch.tensor([[1.0, 0.0, 0.5], [0.0, 0.0, 0.5]])  # feature 1 has a zero column
    with pytest.raises(ValueError, match=r"target columns \[1\] have zero norm"):
        mmcs_ml2r(W, *_exact_components(W))


def test_bad_shapes_and_values_are_refused() -> None:
    W = torch.randn(2, 4, generator=torch.Generator().manual_seed(0))
    V, U = _exact_components(W)
    with pytest.raises(ValueError, match=r"need V \(d_in, C\) and U \(C, d_out\)"):
        mmcs_ml2r(W, V[:3], U)
    with pytest.raises(ValueError, match=r"need V \(d_in, C\) and U \(C, d_out\)"):
        mmcs_ml2r(W, V, U.T)
    U_nan = U.clone()
    U_nan[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN or infinite"):
        mmcs_ml2r(W, V, U_nan)
    with pytest.raises(ValueError, match="min_norm_fraction"):
        mmcs_ml2r(W, V, U, min_norm_fraction=1.5)
