import torch

from subnetlab.methods.apd.metrics import (
    attribution_shares,
    columns_mmcs_ml2r,
    module_l0,
    probe_identity_error,
    share_l0,
)


def test_shares_normalise_rows_and_leave_empty_rows_at_zero() -> None:
    shares = attribution_shares(torch.tensor([[3.0, 1.0, 0.0], [0.0, 0.0, 0.0]]))
    assert torch.allclose(shares, torch.tensor([[0.75, 0.25, 0.0], [0.0, 0.0, 0.0]]))
    assert share_l0(shares, 0.1) == 1.0  # 2 counts on row 0, 0 on row 1
    assert share_l0(shares, 0.5) == 0.5


def test_column_matching_of_full_matrix_components() -> None:
    W = torch.tensor([[1.0, 0.0, 0.6], [0.0, 2.0, 0.8]])  # (d_out 2, d_in 3)
    per_feature = torch.zeros(3, 2, 3)
    for j in range(3):
        per_feature[j, :, j] = W[:, j]  # component j holds exactly column j
    assert columns_mmcs_ml2r(W, per_feature) == (1.0, 1.0)
    mmcs, ml2r = columns_mmcs_ml2r(W, 0.9 * per_feature)  # APD's shrinkage
    assert abs(mmcs - 1.0) < 1e-6 and abs(ml2r - 0.9) < 1e-6
    merged = per_feature[:2].clone()
    merged[1, :, 2] = W[:, 2]  # one component holds columns 1 and 2: still matched per column
    assert columns_mmcs_ml2r(W, merged) == (1.0, 1.0)


def test_identity_error_of_probe_shares() -> None:
    assert probe_identity_error(torch.tensor([[0.0, 1.0], [0.95, 0.05]]), 0.1) == 0
    assert probe_identity_error(torch.tensor([[0.5, 0.5], [0.0, 1.0]]), 0.1) == 2
    # 3 features, 2 components: the missing column is a missing diagonal entry
    assert probe_identity_error(torch.eye(3)[:, :2], 0.1) == 1


def test_module_l0_counts_active_components_present_in_the_module() -> None:
    mask = torch.tensor([[True, True, False], [False, True, True]])
    assert module_l0(mask, torch.tensor([True, False, True])) == 1.0
    assert module_l0(mask, torch.tensor([True, True, True])) == 2.0
