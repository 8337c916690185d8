import torch

from subnetlab.data.sparse_features import SparseFeatures, one_hot_probe, sample_sparse_features
from subnetlab.registry import build_dataset
from subnetlab.schemas.datasets import ResidFeaturesSchema


def test_resid_features_config_gives_its_distribution() -> None:
    features = build_dataset(ResidFeaturesSchema(feature_probability=0.2), SparseFeatures)
    assert features == SparseFeatures(0.2, -1.0, 1.0)
    x = features.sample(4000, 10, torch.Generator().manual_seed(0))
    expected = sample_sparse_features(4000, 10, 0.2, -1.0, 1.0, torch.Generator().manual_seed(0))
    assert torch.equal(x, expected)
    on = x != 0
    assert abs(float(on.float().mean()) - 0.2) < 0.02 and float(x.min()) >= -1.0


def test_one_hot_probe_is_made_on_the_requested_device() -> None:
    assert torch.equal(one_hot_probe(3, 0.5), torch.eye(3) * 0.5)
    assert one_hot_probe(3, device="meta").device.type == "meta"
