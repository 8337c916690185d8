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
    rot = torch.tensor([[torch.cos(angle), -torch.sin(angle)], [torch.sin(angle), torch.cos(angle)]])
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
