import pytest
import torch

from subnetlab.data.image_classification import (
    ImageClassificationDataModule,
    build_image_task,
    split_images,
)
from subnetlab.schemas.datasets import DigitsSchema


def test_split_is_disjoint_complete_and_fixed_by_the_split_seed() -> None:
    images = torch.arange(20, dtype=torch.float32).reshape(10, 2)
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    task = split_images(images, labels, test_size=3, split_seed=5)
    seen = torch.cat([task.train_images[:, 0], task.test_images[:, 0]]).sort().values
    assert torch.equal(seen, images[:, 0]) and task.test_images.shape == (3, 2)
    assert torch.equal(task.train_labels, labels[(task.train_images[:, 0] / 2).long()])
    assert task.n_classes == 3 and task.n_pixels == 2
    again = split_images(images, labels, test_size=3, split_seed=5)
    other = split_images(images, labels, test_size=3, split_seed=6)
    assert torch.equal(again.test_images, task.test_images)
    assert not torch.equal(other.test_images, task.test_images)
    with pytest.raises(ValueError, match="test_size=10 must leave both splits non-empty"):
        split_images(images, labels, test_size=10, split_seed=0)


def test_digits_datamodule_probes_the_held_out_images_first() -> None:
    cfg = DigitsSchema(test_size=100, eval_size=150)
    module = ImageClassificationDataModule(cfg, seed=3, model_cfg=None)
    task = module.task
    assert task.train_images.shape == (1697, 64) and task.test_images.shape == (100, 64)
    probe = module.eval_batch()
    assert probe.shape == (150, 64)
    assert torch.equal(probe[:100], task.test_images)
    assert torch.equal(probe[100:], task.train_images[:50])
    assert torch.equal(module.eval_batch(10), task.test_images[:10])
    labels = module.eval_targets()  # row by row the probe's labels
    assert labels.shape == (150,) and torch.equal(labels[:100], task.test_labels)
    assert torch.equal(labels[100:], task.train_labels[:50])


def test_unknown_image_dataset_lists_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match=r"allowed: \['digits'\]"):
        build_image_task(DigitsSchema(name="cifar"))
