import pytest
import torch

from subnetlab.data.image_classification import ImageClassificationDataModule, split_images
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.datasets import DigitsSchema, SparseFeaturesSchema


def test_split_is_disjoint_complete_and_fixed_by_the_split_seed() -> None:
    images = torch.arange(20, dtype=torch.float32).reshape(10, 2)
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    task = split_images(images, labels, test_size=3, split_seed=5)
    split = task.split
    seen = torch.cat([split.x_train[:, 0], split.x_test[:, 0]]).sort().values
    assert torch.equal(seen, images[:, 0]) and split.x_test.shape == (3, 2)
    assert torch.equal(split.y_train, labels[(split.x_train[:, 0] / 2).long()])
    assert task.n_classes == 3 and task.n_pixels == 2
    again = split_images(images, labels, test_size=3, split_seed=5)
    other = split_images(images, labels, test_size=3, split_seed=6)
    assert torch.equal(again.split.x_test, split.x_test)
    assert not torch.equal(other.split.x_test, split.x_test)
    with pytest.raises(ValueError, match="test_size=10 must leave both splits non-empty"):
        split_images(images, labels, test_size=10, split_seed=0)


def test_digits_datamodule_probes_the_held_out_images_first() -> None:
    cfg = DigitsSchema(test_size=100, eval_size=150)
    module = ImageClassificationDataModule(cfg, seed=3, model_cfg=None)
    split = module.task.split
    assert split.x_train.shape == (1697, 64) and split.x_test.shape == (100, 64)
    probe = module.eval_batch()
    assert probe.shape == (150, 64)
    assert torch.equal(probe[:100], split.x_test)
    assert torch.equal(probe[100:], split.x_train[:50])
    assert torch.equal(module.eval_batch(10), split.x_test[:10])
    labels = module.eval_targets()  # row by row the probe's labels
    assert labels.shape == (150,) and torch.equal(labels[:100], split.y_test)
    assert torch.equal(labels[100:], split.y_train[:50])


def test_a_dataset_that_is_no_image_task_lists_the_image_datasets() -> None:
    with pytest.raises(ConfigError, match=r"sparse_features'.*ImageTask datasets: \['digits'\]"):
        ImageClassificationDataModule(SparseFeaturesSchema(), seed=0, model_cfg=None)
