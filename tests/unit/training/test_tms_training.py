import torch

from subnetlab.training.tms_training import features_reconstructed, train_tms


def test_features_reconstructed_counts_probe_diagonals_within_tolerance() -> None:
    probe = torch.diag(torch.tensor([0.75, 0.6, 0.0, 0.9]))
    assert int(features_reconstructed(probe, 0.2)) == 3  # 0.0 is a dead feature
    assert int(features_reconstructed(probe, 0.1)) == 1


def test_short_training_learns_every_tms_feature() -> None:
    model, report = train_tms(
        5,
        2,
        0,
        steps=600,
        batch_size=512,
        lr=5e-3,
        weight_decay=0.01,
        feature_probability=0.05,
        n_candidates=4,
        probe_tolerance=0.3,
        seed=0,
    )
    assert report.features_learned == 5
    out = model(torch.eye(5) * 0.75)
    assert torch.allclose(torch.diagonal(out), torch.full((5,), 0.75), atol=0.3)
